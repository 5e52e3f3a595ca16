// SPDX-License-Identifier: GPL-2.0
/* qkdctl's JSON writer: commas, nesting and string escapes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "json.h"

/* Run the writer with stdout sent to a temporary file; return its text. */
static const char *capture(void (*write_json)(void))
{
	static char text[512];
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	if (!f || saved < 0)
		return "";
	fflush(stdout);
	dup2(fileno(f), STDOUT_FILENO);
	write_json();
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void array_of_objects(void)
{
	json_open_array(NULL);
	json_open_object(NULL);
	json_string("name", "a");
	json_u64("n", 18446744073709551615ULL);
	json_close_object();
	json_open_object(NULL);
	json_bool("ok", true);
	json_bool("no", false);
	json_open_array("list");
	json_u64(NULL, 1);
	json_u64(NULL, 2);
	json_close_array();
	json_close_object();
	json_close_array();
	json_end();
}

static void escapes(void)
{
	json_open_object(NULL);
	json_string("s", "q\"b\\c\n\x01\x7f");
	json_close_object();
	json_end();
}

static void two_lines(void)
{
	json_open_object(NULL);
	json_u64("a", 1);
	json_close_object();
	json_end();
	json_open_object(NULL);
	json_u64("b", 2);
	json_close_object();
	json_end();
}

TEST(json_nesting_and_commas)
{
	EXPECT_STREQ("[{\"name\":\"a\",\"n\":18446744073709551615},"
		     "{\"ok\":true,\"no\":false,\"list\":[1,2]}]\n",
		     capture(array_of_objects));
}

TEST(json_string_escapes)
{
	EXPECT_STREQ("{\"s\":\"q\\\"b\\\\c\\u000a\\u0001\\u007f\"}\n",
		     capture(escapes));
}

TEST(json_lines_are_independent)
{
	EXPECT_STREQ("{\"a\":1}\n{\"b\":2}\n", capture(two_lines));
}

TEST_HARNESS_MAIN
