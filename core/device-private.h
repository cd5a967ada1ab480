/* certlink core: the pure parts of device.c, for tests. */
#ifndef CL_DEVICE_PRIVATE_H
#define CL_DEVICE_PRIVATE_H

#include "device.h"

#include <stdbool.h>

/* APID from machine-id file contents (32 hex digits, optional newline; all zeros or "uninitialized" are
 * refused): base32 (RFC 4648, no padding) of the first 10 bytes of HMAC-SHA256(key = the 16 machine-id
 * bytes, message = "certlink-apid"). */
bool cl_device_apid_from_machine_id(const char *text, char out[CL_DEVICE_APID_LEN + 1]);

/* The interface of the default route (destination and mask 0, up, lowest metric) in /proc/net/route text,
 * or false. OUT has room for 16 bytes. */
bool cl_device_default_route_iface(const char *route, char out[16]);

/* Split a login name: "alice@corp.example" gives user "alice" and domain "corp.example"; "alice" gives
 * "alice" and leaves DOMAIN unchanged. */
void cl_device_split_login(const char *login, char *user, size_t userlen, char *domain, size_t domainlen);

/* PRETTY_NAME (unquoted) from os-release text, or false. */
bool cl_device_os_pretty_name(const char *text, char *out, size_t outlen);

#endif
