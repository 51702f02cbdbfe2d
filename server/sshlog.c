/*
 * sshlog.c: the bridge between libssh's internals and sshd-style logging.
 *
 * libssh logs every packet at SSH_LOG_PACKET as "packet: read type N" and
 * "packet: wrote [type=N, ...]".  sshd prints the same events at DEBUG3 as
 * "receive packet: type N" / "send packet: type N", muting window adjust
 * and data (93-95).  We enable libssh's packet level only when our own
 * level is DEBUG3, because every line costs a vsnprintf in libssh.
 *
 * libssh 0.10 keeps a CHANNEL_OPEN's sender id, window and max packet in
 * its private ssh_message struct with no accessor.  sshd logs them, so we
 * mirror the head of that struct (include/libssh/messages.h, unchanged
 * from 0.10.0 to 0.10.6) and prove the mirror right on every use: the
 * originator and destination pointers must equal what the public
 * accessors return.  If a future libssh moves the fields, the proof fails
 * and we log zeros instead of garbage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/callbacks.h>

#include "log.h"
#include "sshlog.h"

struct sshlog_auth_request_0_10 {
	char				*username;
	int				 method;
	char				*password;
	void				*pubkey;
	char				*sigtype;
	int				 signature_state;
	char				 kbdint_response;
};

struct sshlog_open_request_0_10 {
	int				 type;
	uint32_t			 sender;
	uint32_t			 window;
	uint32_t			 packet_size;
	char				*originator;
	uint16_t			 originator_port;
	char				*destination;
	uint16_t			 destination_port;
};

struct sshlog_message_0_10 {
	ssh_session			 session;
	int				 type;
	struct sshlog_auth_request_0_10	 auth_request;
	struct sshlog_open_request_0_10	 open_request;
};

static int
sshlog_packet_type(const char *buf, const char *marker)
{
	const char *p = strstr(buf, marker);

	if (p == NULL)
		return -1;
	return atoi(p + strlen(marker));
}

static void
sshlog_callback(int priority, const char *function, const char *buffer,
    void *userdata)
{
	int type;

	if ((type = sshlog_packet_type(buffer, "packet: read type ")) >= 0) {
		if (type < 93 || type > 95)
			log_debug3("receive packet: type %d", type);
		return;
	}
	if ((type = sshlog_packet_type(buffer, "packet: wrote [type=")) >= 0) {
		if (type < 93 || type > 95)
			log_debug3("send packet: type %d", type);
		return;
	}
	/* Only libssh's warnings are worth an operator's attention. */
	if (priority <= SSH_LOG_WARN)
		log_debug2("libssh: %s", buffer);
}

void
sshlog_thread_init(int level)
{
	int ssh_level = SSH_LOG_NOLOG;

	if (level >= LOG_LVL_DEBUG3)
		ssh_level = SSH_LOG_PACKET;
	else if (level >= LOG_LVL_DEBUG2)
		ssh_level = SSH_LOG_WARN;
	ssh_set_log_callback(sshlog_callback);
	ssh_set_log_level(ssh_level);
}

int
sshlog_open_params(ssh_message msg, uint32_t *rchan, uint32_t *window,
    uint32_t *maxpacket)
{
	const struct sshlog_message_0_10 *m =
	    (const struct sshlog_message_0_10 *)(void *)msg;

	*rchan = *window = *maxpacket = 0;
	if (m->type != SSH_REQUEST_CHANNEL_OPEN ||
	    m->open_request.originator !=
	    ssh_message_channel_request_open_originator(msg) ||
	    m->open_request.destination !=
	    ssh_message_channel_request_open_destination(msg) ||
	    m->open_request.destination_port !=
	    ssh_message_channel_request_open_destination_port(msg))
		return -1;
	*rchan = m->open_request.sender;
	*window = m->open_request.window;
	*maxpacket = m->open_request.packet_size;
	return 0;
}
