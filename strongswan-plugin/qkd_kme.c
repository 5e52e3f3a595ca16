/*
 * Copyright (C) 2026 qkdpool authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */


#include "qkd_kme.h"

#include <curl/curl.h>

#include <utils/debug.h>

/** Largest reply we accept: one or a few keys in JSON */
#define MAX_REPLY 65536

typedef struct private_qkd_kme_t private_qkd_kme_t;

/**
 * Private data of a qkd_kme_t object
 */
struct private_qkd_kme_t {

	/**
	 * Public interface
	 */
	qkd_kme_t public;

	/**
	 * Base URL of the KME
	 */
	char *url;

	/**
	 * Client certificate, its key and the CA file
	 */
	char *cert, *key, *ca;

	/**
	 * Timeout of a request in ms
	 */
	long timeout_ms;
};

/**
 * Reply body being received, in a buffer allocated once at its full size
 * so that no realloc() leaves copies of key material behind
 */
typedef struct {

	/** Buffer of MAX_REPLY bytes */
	chunk_t buf;

	/** Bytes received */
	size_t len;
} reply_t;

/**
 * libcurl write callback: append to the reply, refuse oversized ones
 */
static size_t receive(char *data, size_t size, size_t nmemb, void *user)
{
	reply_t *reply = user;
	size_t len = size * nmemb;

	if (len > reply->buf.len - reply->len)
	{
		return 0;
	}
	memcpy(reply->buf.ptr + reply->len, data, len);
	reply->len += len;
	return len;
}

/**
 * Set the options of a request on a fresh handle
 */
static void setup(private_qkd_kme_t *this, CURL *curl, char *url,
				  struct curl_slist *headers, char *body, reply_t *reply,
				  char *error)
{
	curl_easy_setopt(curl, CURLOPT_URL, url);
	/* the KME authenticates us by certificate: never send that to a
	 * plain HTTP endpoint or follow a redirect elsewhere */
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_SSLCERT, this->cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, this->key);
	curl_easy_setopt(curl, CURLOPT_CAINFO, this->ca);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	/* charon's threads: no SIGALRM for timeouts */
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, this->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, this->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, receive);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body)
	{
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	}
}

METHOD(qkd_kme_t, request, u_int,
	private_qkd_kme_t *this, char *path, char *body, chunk_t *out)
{
	char url[512], error[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers;
	reply_t reply = { .buf = chunk_alloc(MAX_REPLY) };
	long status = 0;
	CURLcode res;
	CURL *curl;

	*out = chunk_empty;
	if (snprintf(url, sizeof(url), "%s%s", this->url, path) >= sizeof(url))
	{
		DBG1(DBG_CFG, "qkd: KME request URL too long");
		goto out;
	}
	curl = curl_easy_init();
	if (!curl)
	{
		DBG1(DBG_CFG, "qkd: creating a libcurl handle failed");
		goto out;
	}
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Accept: application/json");
	setup(this, curl, url, headers, body, &reply, error);
	res = curl_easy_perform(curl);
	if (res == CURLE_OK)
	{
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	}
	else
	{
		DBG1(DBG_CFG, "qkd: KME %s unreachable: %s", this->url,
			 error[0] ? error : curl_easy_strerror(res));
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	if (status)
	{
		*out = chunk_clone(chunk_create(reply.buf.ptr, reply.len));
	}
out:
	chunk_clear(&reply.buf);
	return status;
}

METHOD(qkd_kme_t, get_url, char*,
	private_qkd_kme_t *this)
{
	return this->url;
}

METHOD(qkd_kme_t, destroy, void,
	private_qkd_kme_t *this)
{
	free(this->url);
	free(this->cert);
	free(this->key);
	free(this->ca);
	free(this);
}

/*
 * Described in header
 */
qkd_kme_t *qkd_kme_create(char *url, char *cert, char *key, char *ca,
						  u_int timeout)
{
	private_qkd_kme_t *this;

	INIT(this,
		.public = {
			.request = _request,
			.get_url = _get_url,
			.destroy = _destroy,
		},
		.url = strdup(url),
		.cert = strdup(cert),
		.key = strdup(key),
		.ca = strdup(ca),
		.timeout_ms = timeout * 1000L,
	);
	/* "https://kme:443/" and "https://kme:443" alike */
	if (strlen(this->url) && this->url[strlen(this->url) - 1] == '/')
	{
		this->url[strlen(this->url) - 1] = '\0';
	}
	return &this->public;
}
