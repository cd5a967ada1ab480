/* certlink core: the enrollment flow's network step: after the certificate is installed and recorded, the
 * profile's networks become connections that use it (network.h), recorded with the certificate so that
 * renewal moves them to the new certificate and delete and withdrawal remove them.
 *
 * The profile is the one the activation reply carried, over the session whose server identity the flow
 * established; its RADIUS CAs are among the CAs that same reply delivered (proto-network.c checks that).
 */
#include "enroll-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "certinfo.h"

enum cl_status cl_flow_keep_networks(struct cl_flow *f, const struct cl_proto_activation *act,
                                     struct cl_error *err)
{
	struct cl_proto_profile *p = &f->profile;

	cl_proto_profile_clear(p);
	for (size_t i = 0; i < act->n_trust; i++) {
		if (!(p->trust[i].pem = strdup(act->trust[i].pem)))
			return cl_error_set(err, CL_E_LOCAL, "out of memory");
		memcpy(p->trust[i].sha256, act->trust[i].sha256, sizeof(p->trust[i].sha256));
		p->n_trust++;
	}
	p->networks = act->networks;
	return CL_OK;
}

static void add_connections(const struct cl_certificate *c, struct cl_locations *out, struct cl_error *err)
{
	for (size_t i = 0; c && i < c->locations.n; i++)
		if (c->locations.items[i].kind == CL_LOC_NM_CONNECTION)
			cl_locations_add(out, CL_LOC_NM_CONNECTION, c->locations.items[i].path,
			                 c->locations.items[i].nickname, err);
}

/* C is of the server HOST:PORT and the user USER (neither empty). */
static bool same_server_user(const struct cl_certificate *c, const char *host, int port, const char *user)
{
	return host && host[0] && user && user[0] && c->server_host && c->user &&
	       strcmp(c->server_host, host) == 0 && c->server_port == port && strcmp(c->user, user) == 0;
}

enum cl_status cl_flow_network_reuse(enum cl_store_kind store, const char *fp, const char *renews,
                                     const char *host, int port, const char *user, struct cl_locations *out,
                                     struct cl_error *err)
{
	struct cl_records *rec = NULL;
	enum cl_status st = cl_records_load(store, &rec, err);
	const struct cl_certificate *own, *renewed;

	if (st != CL_OK)
		return st;
	/* the likeliest first: certlink-netconf updates the first of them that fits each network */
	own = fp ? cl_records_find_certificate_fp(rec, fp) : NULL;
	renewed = renews && renews[0] ? cl_records_find_certificate_fp(rec, renews) : NULL;
	add_connections(own, out, err);
	add_connections(renewed, out, err);
	for (size_t i = 0; i < rec->n_certs; i++)
		if (rec->certs[i] != own && rec->certs[i] != renewed &&
		    same_server_user(rec->certs[i], host, port, user))
			add_connections(rec->certs[i], out, err);
	cl_records_free(rec);
	return CL_OK;
}

struct record_ctx {
	const char *fp;
	const struct cl_locations *added;
};

static void drop_location(struct cl_locations *list, size_t j)
{
	free(list->items[j].path);
	free(list->items[j].nickname);
	memmove(&list->items[j], &list->items[j + 1], (list->n - j - 1) * sizeof(list->items[0]));
	list->n--;
}

/* Record the network's places with the certificate FP; a connection it took over (same UUID) leaves every
 * other certificate's record, so deleting that one no longer removes it and deleting this one does. */
static enum cl_status record_networks(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct record_ctx *c = data;
	struct cl_certificate *cert = cl_records_find_certificate_fp(rec, c->fp);
	enum cl_status st = CL_OK;

	if (!cert)
		return cl_error_set(err, CL_E_LOCAL, "the certificate %.16s is no longer recorded", c->fp);
	for (size_t i = 0; i < c->added->n && st == CL_OK; i++) {
		const struct cl_location *l = &c->added->items[i];

		for (size_t k = 0; l->kind == CL_LOC_NM_CONNECTION && k < rec->n_certs; k++) {
			struct cl_locations *other = &rec->certs[k]->locations;

			for (size_t j = other->n; rec->certs[k] != cert && j-- > 0;)
				if (other->items[j].kind == CL_LOC_NM_CONNECTION &&
				    strcmp(other->items[j].path, l->path) == 0)
					drop_location(other, j);
		}
		/* a resumed install re-applies what its record already names: one entry each */
		for (size_t j = cert->locations.n; j-- > 0;)
			if (cert->locations.items[j].kind == l->kind &&
			    strcmp(cert->locations.items[j].path, l->path) == 0)
				drop_location(&cert->locations, j);
		st = cl_locations_add(&cert->locations, l->kind, l->path, l->nickname, err);
	}
	return st;
}

enum cl_status cl_flow_networks_for(enum cl_store_kind store, const char *fp,
                                    const struct cl_proto_profile *profile, const struct cl_network_target *t,
                                    const struct cl_locations *reuse, struct cl_network_report *report,
                                    struct cl_error *err)
{
	struct cl_network_target target = *t;
	struct cl_locations cert_locs = { NULL, 0 }, added = { NULL, 0 };
	struct cl_records *rec = NULL;
	struct record_ctx ctx = { fp, &added };
	struct cl_certificate *cert;
	enum cl_status st = cl_records_load(store, &rec, err);

	memset(report, 0, sizeof(*report));
	if (st != CL_OK)
		return st;
	cert = cl_records_find_certificate_fp(rec, fp);
	st = cert ? cl_locations_append(&cert_locs, &cert->locations, err)
	          : cl_error_set(err, CL_E_LOCAL, "the certificate %.16s is not recorded", fp);
	cl_records_free(rec);
	target.store = store;
	target.fingerprint = fp;
	if (st == CL_OK)
		st = cl_network_target_paths(&cert_locs, &target, err);
	if (st == CL_OK)
		st = cl_network_apply(&profile->networks, profile->trust, profile->n_trust, &target, reuse,
		                      &added, report, err);
	/* Recorded even after a failure part way: what was written must be removed with the certificate. */
	if (added.n) {
		struct cl_error rerr;

		if (cl_records_update(store, record_networks, &ctx, &rerr) != CL_OK && st == CL_OK) {
			*err = rerr;
			st = rerr.status;
		}
	}
	cl_locations_clear(&cert_locs);
	cl_locations_clear(&added);
	return st;
}

void cl_flow_networks(struct cl_flow *f, const struct cl_locations *reuse)
{
	struct cl_network_report *report = &f->result->network;
	struct cl_network_target t;
	struct cl_error err;
	char cn[129] = "";

	memset(report, 0, sizeof(*report));
	if (f->profile.networks.n == 0)
		return;
	memset(&t, 0, sizeof(t));
	if (f->cert)
		X509_NAME_get_text_by_NID(X509_get_subject_name(f->cert), NID_commonName, cn, sizeof(cn));
	t.cn = cn;
	t.user_id = f->user;
	t.service = f->service_name;
	t.host = f->host;
	t.port = (int)f->port;
	if (f->opts->no_network) {
		cl_network_plan(&f->profile.networks, &t, report);
		report->skipped = true;
		cl_flow_log(f, "networks of the profile not applied (--no-network)");
		return;
	}
	cl_flow_progress(f, CL_STAGE_INSTALL, "setting up the network connections");
	if (cl_flow_networks_for(f->store, f->result_fp, &f->profile, &t, reuse, report, &err) != CL_OK)
		snprintf(report->note, sizeof(report->note), "%.*s", (int)sizeof(report->note) - 1, err.msg);
	if (report->note[0])
		cl_flow_log(f, "networks not applied through NetworkManager: %s", report->note);
}
