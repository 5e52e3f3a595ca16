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
#include "qkd_creds.h"
#include "qkd_listener.h"
#include "qkd_sa_keys.h"
#include "qkd_source.h"

#include <daemon.h>

/** Default path of the kernel pool device */
#define QKD_DEFAULT_DEVICE "/dev/qkdpool"

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
		DBG1(DBG_CFG, "qkd: taking keys from the kernel pool (%s)", device);
		return qkd_source_pool_create(device);
	}
	/* TODO: an ETSI GS QKD 014 source (qkd_source_etsi014.c) */
	DBG1(DBG_CFG, "qkd: unknown key source '%s'", type);
	return NULL;
}

/**
 * Undo register_qkd() in reverse order
 */
static void unregister_qkd(private_qkd_plugin_t *this)
{
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
