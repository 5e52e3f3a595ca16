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

#include "qkd_plugin.h"
#include "qkd_compat.h"
#include "qkd_creds.h"
#include "qkd_listener.h"
#include "qkd_sa_keys.h"
#include "qkd_source.h"

#include <daemon.h>
#include <linux/qkdpool.h>

/** Default path of the kernel pool device */
#define QKD_DEFAULT_DEVICE "/dev/qkdpool"

/** Default size of keys asked from an ETSI 014 KME, in bits */
#define QKD_DEFAULT_KEY_BITS 256

/** Default timeout of a request to an ETSI 014 KME, in seconds */
#define QKD_DEFAULT_TIMEOUT 5

typedef struct private_qkd_plugin_t private_qkd_plugin_t;

/**
 * Private data of the qkd plugin
 */
struct private_qkd_plugin_t {

	/**
	 * Implements plugin interface
	 */
	qkd_plugin_t public;

	/**
	 * Key source
	 */
	qkd_source_t *source;

	/**
	 * Keys reserved for IKE_SAs in progress
	 */
	qkd_sa_keys_t *keys;

	/**
	 * Credential set serving PPKs
	 */
	qkd_creds_t *creds;

	/**
	 * Bus listener
	 */
	qkd_listener_t *listener;
};

METHOD(plugin_t, get_name, char*,
	private_qkd_plugin_t *this)
{
	return "qkd";
}

/**
 * A setting of the ETSI 014 source; required ones are logged if missing
 */
static char *etsi014_setting(char *name, bool *missing)
{
	char *value;

	value = lib->settings->get_str(lib->settings,
								   "%s.plugins.qkd.etsi014.%s", NULL,
								   lib->ns, name);
	if (!value || !*value)
	{
		DBG1(DBG_CFG, "qkd: key source etsi014 needs etsi014.%s", name);
		*missing = TRUE;
	}
	return value;
}

/**
 * Create the ETSI GS QKD 014 key source, NULL if misconfigured (logged)
 */
static qkd_source_t *create_etsi014()
{
	char *url, *cert, *key, *ca;
	bool missing = FALSE;
	u_int bits, timeout;

	url = etsi014_setting("url", &missing);
	cert = etsi014_setting("cert", &missing);
	key = etsi014_setting("key", &missing);
	ca = etsi014_setting("ca", &missing);
	bits = lib->settings->get_int(lib->settings,
								  "%s.plugins.qkd.etsi014.key_size",
								  QKD_DEFAULT_KEY_BITS, lib->ns);
	timeout = lib->settings->get_int(lib->settings,
									 "%s.plugins.qkd.etsi014.timeout",
									 QKD_DEFAULT_TIMEOUT, lib->ns);
	if (missing)
	{
		return NULL;
	}
	if (bits % 8 || bits < QKD_KEY_MIN_LEN * 8 || bits > QKD_KEY_MAX_LEN * 8 ||
		!timeout)
	{
		DBG1(DBG_CFG, "qkd: etsi014.key_size must be a multiple of 8 in "
			 "%d..%d and etsi014.timeout positive", QKD_KEY_MIN_LEN * 8,
			 QKD_KEY_MAX_LEN * 8);
		return NULL;
	}
	DBG1(DBG_CFG, "qkd: taking %u-bit keys from the ETSI GS QKD 014 KME %s",
		 bits, url);
	return qkd_source_etsi014_create(url, cert, key, ca, timeout, bits);
}

/**
 * Create the configured key source, NULL if unknown (logged)
 */
static qkd_source_t *create_source()
{
	char *type, *device;

	type = lib->settings->get_str(lib->settings, "%s.plugins.qkd.source",
								  "pool", lib->ns);
	if (streq(type, "pool"))
	{
		device = lib->settings->get_str(lib->settings,
										"%s.plugins.qkd.device",
										QKD_DEFAULT_DEVICE, lib->ns);
		DBG1(DBG_CFG, "qkd: taking keys from the kernel pool (%s), "
			 "built for strongSwan %s", device, VERSION);
		return qkd_source_pool_create(device);
	}
	if (streq(type, "etsi014"))
	{
		return create_etsi014();
	}
	DBG1(DBG_CFG, "qkd: unknown key source '%s'", type);
	return NULL;
}

/**
 * Undo register_qkd() in reverse order
 */
static void unregister_qkd(private_qkd_plugin_t *this)
{
	qkd_ke_unregister();
	charon->bus->remove_listener(charon->bus, &this->listener->listener);
	lib->credmgr->remove_set(lib->credmgr, &this->creds->set);
	this->listener->destroy(this->listener);
	this->creds->destroy(this->creds);
	this->keys->destroy(this->keys);
	this->source->destroy(this->source);
}

/**
 * Create the key source, table, credential set and listener
 */
static bool register_qkd(private_qkd_plugin_t *this)
{
	this->source = create_source();
	if (!this->source)
	{
		return FALSE;
	}
	this->keys = qkd_sa_keys_create();
	this->creds = qkd_creds_create(this->source, this->keys);
	if (!this->creds)
	{
		DBG1(DBG_CFG, "qkd: no RNG available");
		goto err_keys;
	}
	this->listener = qkd_listener_create(this->keys);
	lib->credmgr->add_set(lib->credmgr, &this->creds->set);
	charon->bus->add_listener(charon->bus, &this->listener->listener);
	qkd_ke_register(this->source);
	return TRUE;

err_keys:
	this->keys->destroy(this->keys);
	this->source->destroy(this->source);
	return FALSE;
}

/**
 * Register or unregister the plugin's parts
 */
static bool plugin_cb(private_qkd_plugin_t *this,
					  plugin_feature_t *feature, bool reg, void *cb_data)
{
	if (reg)
	{
		return register_qkd(this);
	}
	unregister_qkd(this);
	return TRUE;
}

METHOD(plugin_t, get_features, int,
	private_qkd_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)plugin_cb, NULL),
			PLUGIN_PROVIDE(CUSTOM, "qkd"),
				PLUGIN_DEPENDS(RNG, RNG_WEAK),
		QKD_KE_FEATURES
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, reload, bool,
	private_qkd_plugin_t *this)
{
	/* streams are looked up in lib->settings for every IKE_SA */
	return TRUE;
}

METHOD(plugin_t, destroy, void,
	private_qkd_plugin_t *this)
{
	free(this);
}

/*
 * Described in header
 */
__attribute__((visibility("default")))
plugin_t *qkd_plugin_create()
{
	private_qkd_plugin_t *this;

	INIT(this,
		.public = {
			.plugin = {
				.get_name = _get_name,
				.get_features = _get_features,
				.reload = _reload,
				.destroy = _destroy,
			},
		},
	);
	return &this->public.plugin;
}
