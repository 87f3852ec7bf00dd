/*
 * fetch: the download (fetch_download): the libcurl client (one easy
 * handle per request, nothing shared between calls but
 * curl_global_init), retries, paging and the organisations file.
 * fetch.h has the contract and the policy; fetchtask.c runs the steps.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetchapply.h"
#include "fetchtask.h"
#include "log.h"

#define USER_AGENT "biofed/" BF_VERSION
#define MAX_BACKOFF_MS 60000
#define API_KEY_MAX 4096
#define URL_MAX 2048

static const struct fetch_opts no_opts;

/* --- small helpers ---------------------------------------------------- */

/* The URL for messages: without user:password@. */
static const char *show_url(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	const char *at, *slash;

	snprintf(out, n, "%s", url);
	if (!p)
		return out;
	p += 3;
	slash = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(slash - p));
	if (at)
		snprintf(out, n, "%.*s%s", (int)(p - url), url, at + 1);
	return out;
}

/* Host part of an absolute URL (for same-host checks), or "". */
static void url_host(const char *url, char *out, size_t n)
{
	CURLU *u = curl_url();
	char *h = NULL;

	out[0] = 0;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK)
		snprintf(out, n, "%s", h);
	curl_free(h);
	curl_url_cleanup(u);
}

/* rel resolved against base into out (absolute http or https). */
static int url_resolve(const char *base, const char *rel, char *out,
		       size_t n)
{
	CURLU *u = curl_url();
	char *abs = NULL;
	int rc = -1;

	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, rel, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK &&
	    (strncmp(abs, "http://", 7) == 0 ||
	     strncmp(abs, "https://", 8) == 0) &&
	    strlen(abs) < n) {
		memcpy(out, abs, strlen(abs) + 1);
		rc = 0;
	}
	curl_free(abs);
	curl_url_cleanup(u);
	return rc;
}

/* url with "param=value" added to its query. */
static int url_with_param(const char *url, const char *param, int64_t v,
			  const char *param2, int64_t v2, char *out, size_t n)
{
	CURLU *u = curl_url();
	char q[192], *abs = NULL;
	int rc = -1;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	snprintf(q, sizeof(q), "%s=%lld", param, (long long)v);
	if (curl_url_set(u, CURLUPART_QUERY, q,
			 CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
		goto out;
	if (param2 && *param2) {
		snprintf(q, sizeof(q), "%s=%lld", param2, (long long)v2);
		if (curl_url_set(u, CURLUPART_QUERY, q,
				 CURLU_APPENDQUERY | CURLU_URLENCODE) !=
		    CURLUE_OK)
			goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK &&
	    strlen(abs) < n) {
		memcpy(out, abs, strlen(abs) + 1);
		rc = 0;
	}
out:
	curl_free(abs);
	curl_url_cleanup(u);
	return rc;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Per download, so that threads share nothing. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* --- libcurl ---------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One response as it arrives. */
struct xfer {
	struct bf_buf body;
	int over;      /* the body passed max_bytes */
	char etag[FETCH_ETAG_MAX];
	char last_modified[FETCH_LM_MAX];
	char content_type[128];
	long retry_after; /* seconds, -1 when absent */
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;

	if (bf_buf_add(&x->body, p, size * n) != 0) {
		x->over = 1;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* A header value fit to be sent back (validators): printable ASCII. */
static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static void keep_header(char *dst, size_t dstlen, const char *v, size_t n)
{
	if (n < dstlen && printable(v, n)) {
		memcpy(dst, v, n);
		dst[n] = 0;
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * n, nl;
	const char *colon, *v;

	/* a new response (after a redirect or 100): forget the last one's */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		x->etag[0] = x->last_modified[0] = x->content_type[0] = 0;
		x->retry_after = -1;
		return len;
	}
	colon = memchr(p, ':', len);
	if (!colon)
		return len;
	nl = (size_t)(colon - p);
	v = colon + 1;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
	{
		size_t vl = (size_t)(p + len - v);
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
			      v[vl - 1] == ' '))
			vl--;
		if (nl == 4 && strncasecmp(p, "etag", 4) == 0)
			keep_header(x->etag, sizeof(x->etag), v, vl);
		else if (nl == 13 && strncasecmp(p, "last-modified", 13) == 0)
			keep_header(x->last_modified, sizeof(x->last_modified),
				    v, vl);
		else if (nl == 12 && strncasecmp(p, "content-type", 12) == 0)
			keep_header(x->content_type, sizeof(x->content_type),
				    v, vl);
		else if (nl == 11 && strncasecmp(p, "retry-after", 11) == 0 &&
			 vl > 0 && vl < 8) {
			char tmp[8], *end;
			long s;
			memcpy(tmp, v, vl);
			tmp[vl] = 0;
			s = strtol(tmp, &end, 10);
			if (!*end && s >= 0)
				x->retry_after = s;
		}
	}
	return len;
}

/* What a download needs besides the source: its request headers. */
struct client {
	const struct bf_source *src;
	const struct fetch_opts *o;
	struct curl_slist *headers; /* configured + Accept + API key */
	int has_key;
	int follow;                 /* libcurl follows redirects */
	char host[256];             /* of the source's URL */
	uint64_t rng;
};

/*
 * One request.  Returns BF_OK with *status, or an error code with err set;
 * *retry says whether trying again may help.
 */
static int request(struct client *c, const char *url,
		   const struct fetch_validators *cond, struct xfer *x,
		   long *status, int *retry, struct bf_err *err)
{
	const struct bf_source *src = c->src;
	char errbuf[CURL_ERROR_SIZE] = "", why[4 * CURL_ERROR_SIZE];
	char shown[URL_MAX], line[400];
	struct curl_slist *h = NULL, *all = c->headers;
	CURL *e = curl_easy_init();
	CURLcode cc;
	int rc = BF_OK;

	*retry = 0;
	*status = 0;
	show_url(url, shown, sizeof(shown));
	if (!e)
		return bf_errf(err, BF_ENOMEM, "curl: cannot create a handle");
	for (int k = 0; cond && k < 2; k++) {
		const char *v = k ? cond->last_modified : cond->etag;
		struct curl_slist *t;
		if (!*v)
			continue;
		snprintf(line, sizeof(line), "%s: %s",
			 k ? "If-Modified-Since" : "If-None-Match", v);
		if (!(t = curl_slist_append(h, line))) {
			rc = bf_errf(err, BF_ENOMEM, "out of memory");
			goto out;
		}
		h = t;
	}
	if (h) {
		/* the conditional headers go after the configured ones */
		struct curl_slist *last = h;
		while (last->next)
			last = last->next;
		last->next = c->headers;
		all = h;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, all);
	curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, (long)c->follow);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)src->max_redirects);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)src->connect_timeout * 1000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)src->timeout * 1000L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)src->stall_timeout);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->body.max);
	/* verification stays on: there is no option to turn it off */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (src->ca_file[0])
		curl_easy_setopt(e, CURLOPT_CAINFO, src->ca_file);
	/* no signals: this may run on any thread */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);

	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	/* libcurl's words may quote the server's (a TLS alert, a proxy's
	 * reply): escaped like every outside text in a log line */
	log_escape(errbuf[0] ? errbuf : curl_easy_strerror(cc),
		   strlen(errbuf[0] ? errbuf : curl_easy_strerror(cc)), why,
		   sizeof(why));
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (x->over || cc == CURLE_FILESIZE_EXCEEDED) {
			rc = bf_errf(err, BF_ETOOBIG,
				     "GET %s: body larger than max_bytes (%lld "
				     "bytes%s)",
				     shown, (long long)src->max_bytes,
				     x->body.max < (size_t)src->max_bytes
					     ? " for all pages together"
					     : "");
			goto out;
		}
		rc = bf_errf(err, BF_EIO, "GET %s: %s", shown,
			     why);
		goto out;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
		rc = bf_errf(err, BF_ECRYPTO,
			     "GET %s: TLS: the server is not trusted or the "
			     "handshake failed (is ca_file right?): %s",
			     shown, why);
		goto out;
	case CURLE_TOO_MANY_REDIRECTS:
		rc = bf_errf(err, BF_EINVAL,
			     "GET %s: more than %lld redirects (a loop?)", shown,
			     (long long)src->max_redirects);
		goto out;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*retry = 1;
		/* fall through */
	default:
		rc = bf_errf(err, BF_EIO, "GET %s: %s%s", shown,
			     cc == CURLE_PARTIAL_FILE ? "truncated body: " : "",
			     why);
		goto out;
	}
	if (*status == 304 && cond)
		goto out;
	if (*status == 200 || *status == 203) {
		if (strncasecmp(x->content_type, "text/html", 9) == 0)
			rc = bf_errf(err, BF_EINVAL,
				     "GET %s: the server sent an HTML page, not "
				     "%s (an error or login page?)",
				     shown, src->format);
		goto out;
	}
	*retry = *status == 408 || *status == 429 || *status >= 500;
	if (*status >= 300 && *status < 400 && !c->follow)
		rc = bf_errf(err, BF_EINVAL,
			     "GET %s: HTTP %ld: redirects are not followed for "
			     "a source whose API key travels in a custom header "
			     "(it would reach any host); configure the final "
			     "URL",
			     shown, *status);
	else
		rc = bf_errf(err, BF_EIO, "GET %s: HTTP %ld", shown, *status);
out:
	curl_easy_cleanup(e);
	if (h) {
		/* unlink the shared part before freeing our own */
		struct curl_slist *last = h;
		while (last->next && last->next != c->headers)
			last = last->next;
		last->next = NULL;
		curl_slist_free_all(h);
	}
	return rc;
}

/* A request with retries; the body ends in *body (malloc'd). */
static int get(struct client *c, const char *url,
	       const struct fetch_validators *cond, struct fetch_download *d,
	       uint8_t **body, size_t *len, long *status, struct bf_err *err)
{
	const struct bf_source *src = c->src;
	uint64_t delay = (uint64_t)src->retry_delay_ms;
	struct xfer x;
	int rc = BF_OK;

	if (d->bytes >= (size_t)src->max_bytes)
		return bf_errf(err, BF_ETOOBIG,
			       "source %s: its pages passed max_bytes (%lld "
			       "bytes) together",
			       src->name, (long long)src->max_bytes);

	for (int64_t attempt = 0;; attempt++) {
		int retry;
		memset(&x, 0, sizeof(x));
		x.retry_after = -1;
		/* the cap holds for all pages together: they are all kept
		 * until the source is published */
		bf_buf_init(&x.body, (size_t)src->max_bytes - d->bytes);
		d->attempts++;
		rc = request(c, url, cond, &x, status, &retry, err);
		if (rc == BF_OK || !retry || attempt >= src->retries)
			break;
		{
			/* full delay, or anywhere in its upper half */
			uint64_t wait = delay / 2 +
					next_random(&c->rng) % (delay / 2 + 1);
			if (x.retry_after >= 0 &&
			    (uint64_t)x.retry_after * 1000 > wait)
				wait = (uint64_t)x.retry_after * 1000;
			if (wait > MAX_BACKOFF_MS)
				wait = MAX_BACKOFF_MS;
			fetch_say(c->o, 0, "fetch-retry", src->name,
			    "attempt %lld of %lld failed (%s); next in %llu ms",
			    (long long)attempt + 1, (long long)src->retries + 1,
			    err->msg, (unsigned long long)wait);
			bf_buf_free(&x.body);
			sleep_ms(wait);
			delay = delay * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS
							   : delay * 2;
		}
	}
	if (rc) {
		if (d->attempts > 1)
			bf_err_prefix(err, "after %u attempts", d->attempts);
		bf_buf_free(&x.body);
		return rc;
	}
	if (*status == 200 || *status == 203) {
		snprintf(d->v.etag, sizeof(d->v.etag), "%s", x.etag);
		snprintf(d->v.last_modified, sizeof(d->v.last_modified), "%s",
			 x.last_modified);
	}
	if (!bf_buf_cstr(&x.body)) { /* also gives an empty body its NUL */
		bf_buf_free(&x.body);
		return bf_errf(err, BF_ENOMEM, "out of memory");
	}
	*body = x.body.p;
	*len = x.body.len;
	return BF_OK;
}

/* Reads the API key file: owner-only, one line of printable text. */
static int read_api_key(const struct bf_source *src, char *key, size_t n,
			struct bf_err *err)
{
	struct stat st;
	ssize_t got;
	size_t len;
	int fd = open(src->api_key_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return bf_errf(err, BF_EIO, "source %s: api_key_file %s: %s",
			       src->name, src->api_key_file, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bf_errf(err, BF_EINVAL,
			       "source %s: api_key_file %s: not a regular file",
			       src->name, src->api_key_file);
	}
	if (st.st_mode & (S_IRWXO | S_IWGRP)) {
		close(fd);
		return bf_errf(err, BF_EINVAL,
			       "source %s: api_key_file %s: readable or "
			       "writable by others (mode %03o); chmod 600 it",
			       src->name, src->api_key_file,
			       (unsigned)(st.st_mode & 0777));
	}
	got = read(fd, key, n - 1);
	close(fd);
	if (got < 0 || (size_t)got >= n - 1)
		return bf_errf(err, BF_EINVAL,
			       "source %s: api_key_file %s: unreadable or "
			       "longer than %zu bytes",
			       src->name, src->api_key_file, n - 2);
	len = (size_t)got;
	while (len && (key[len - 1] == '\n' || key[len - 1] == '\r' ||
		       key[len - 1] == ' '))
		len--;
	key[len] = 0;
	if (len == 0 || !printable(key, len))
		return bf_errf(err, BF_EINVAL,
			       "source %s: api_key_file %s: empty, or more than "
			       "one line of printable text",
			       src->name, src->api_key_file);
	return BF_OK;
}

static int client_init(struct client *c, const struct bf_source *src,
		       const struct fetch_opts *o, struct bf_err *err)
{
	char line[API_KEY_MAX + 128];
	int accept = 0, rc = BF_OK;

	memset(c, 0, sizeof(c[0]));
	c->src = src;
	c->o = o;
	c->follow = 1;
	c->rng = bf_mono_ns() ^ (uint64_t)(uintptr_t)c ^ 0x9e3779b97f4a7c15ull;
	url_host(src->url, c->host, sizeof(c->host));
	for (size_t i = 0; i < src->nheaders; i++) {
		struct curl_slist *t = curl_slist_append(c->headers,
							 src->headers[i]);
		if (!t)
			return bf_errf(err, BF_ENOMEM, "out of memory");
		c->headers = t;
		accept |= strncasecmp(src->headers[i], "accept:", 7) == 0;
	}
	if (!accept) {
		const char *a = strcmp(src->format, "csv") == 0
					? "Accept: text/csv, text/plain;q=0.9, "
					  "*/*;q=0.5"
					: "Accept: application/json, */*;q=0.5";
		struct curl_slist *t = curl_slist_append(c->headers, a);
		if (!t)
			return bf_errf(err, BF_ENOMEM, "out of memory");
		c->headers = t;
	}
	if (src->api_key_file[0]) {
		char key[API_KEY_MAX];
		struct curl_slist *t;
		rc = read_api_key(src, key, sizeof(key), err);
		if (rc == BF_OK) {
			snprintf(line, sizeof(line), "%s: %s",
				 src->api_key_header, key);
			t = curl_slist_append(c->headers, line);
			if (!t)
				rc = bf_errf(err, BF_ENOMEM, "out of memory");
			else
				c->headers = t;
		}
		explicit_bzero(key, sizeof(key));
		explicit_bzero(line, sizeof(line));
		c->has_key = 1;
		/* libcurl keeps Authorization to the first host only */
		c->follow = strcasecmp(src->api_key_header, "Authorization") == 0;
	}
	return rc;
}

static void client_free(struct client *c)
{
	/* the list may hold the key: wipe it before it is freed */
	for (struct curl_slist *l = c->headers; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(c->headers);
	c->headers = NULL;
}

/* --- downloading ------------------------------------------------------ */

static int count_csv_cb(void *ctx, const struct rec *r, struct bf_err *err)
{
	(void)r;
	(void)err;
	(*(long *)ctx)++;
	return 0;
}

static int count_bad_cb(void *ctx, const struct rec *r, const char *msg,
			struct bf_err *err)
{
	(void)msg;
	return count_csv_cb(ctx, r, err);
}

static int add_page(struct fetch_download *d, const char *url,
		    uint8_t *body, size_t len)
{
	struct fetch_page *p;

	if (bf_grow(&d->pages, &d->pages_cap, d->npages + 1, sizeof(*p), 4))
		return BF_ENOMEM;
	p = &d->pages[d->npages];
	p->url = strdup(url);
	if (!p->url)
		return BF_ENOMEM;
	p->body = body;
	p->len = len;
	d->npages++;
	d->bytes += len;
	return BF_OK;
}

int fetch_download(const struct bf_source *src,
		   const struct fetch_validators *cond,
		   const struct fetch_opts *o, struct fetch_download *out,
		   struct bf_err *err)
{
	int paged = src->next[0] || src->page_param[0];
	int json = strcmp(src->format, "json") == 0;
	struct fetch_download d;
	struct client c;
	char url[URL_MAX], next[URL_MAX], name[128], shown[URL_MAX];
	uint8_t prev_hash[CS_HASH_LEN];
	int rc;

	if (!o)
		o = &no_opts;
	memset(&d, 0, sizeof(d));
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return bf_errf(err, BF_EIO, "curl_global_init: %s",
			       curl_easy_strerror(curl_init_rc));
	rc = client_init(&c, src, o, err);
	if (rc)
		goto out;
	if (paged || src->organisations_url[0])
		cond = NULL; /* see fetch.h: such sources are fetched whole */
	snprintf(url, sizeof(url), "%s", src->url);
	if (src->page_param[0] &&
	    url_with_param(src->url, src->page_param, src->page_start,
			   src->page_size_param, src->page_size, url,
			   sizeof(url))) {
		rc = bf_errf(err, BF_EINVAL, "source %s: cannot add %s to url",
			     src->name, src->page_param);
		goto out;
	}
	for (size_t page = 0;; page++) {
		uint8_t *body = NULL, hash[CS_HASH_LEN];
		size_t len = 0;
		long records = -1;

		if (page == (size_t)src->max_pages) {
			rc = bf_errf(err, BF_ETOOBIG,
				     "source %s: more than max_pages (%lld) "
				     "pages; nothing was written",
				     src->name, (long long)src->max_pages);
			goto out;
		}
		rc = get(&c, url, page == 0 ? cond : NULL, &d, &body, &len,
			 &d.status, err);
		if (rc)
			goto out;
		if (d.status == 304) {
			free(body);
			d.not_modified = 1;
			break;
		}
		if ((rc = add_page(&d, url, body, len)) != 0) {
			free(body);
			rc = bf_errf(err, rc, "out of memory");
			goto out;
		}
		fetchapply_page_name(src, page, paged ? 2 : 1, name, sizeof(name));
		if (json) {
			rc = fetchmap_page_info(src, name, (const char *)body,
						len, &records, next,
						sizeof(next), err);
			if (rc)
				goto out;
		} else if (src->page_param[0]) {
			const char *cols[CONFIG_SOURCE_MAP];
			struct csvin_opts co;
			fetchapply_csv_opts(src, cols, &co);
			co.bad_row = count_bad_cb; /* rows, good or not */
			records = 0;
			rc = csvin_read_mem_opts(name, (const char *)body, len,
						 &co, count_csv_cb, &records,
						 err);
			if (rc)
				goto out;
		}
		if (!paged)
			break;
		/* a server that ignores the page parameter repeats itself */
		cs_sha256(body, len, hash);
		if (page > 0 && memcmp(hash, prev_hash, sizeof(hash)) == 0) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s: the same as the page before (does the "
				     "server know %s?)",
				     name, src->page_param[0] ? src->page_param
							      : src->next);
			goto out;
		}
		memcpy(prev_hash, hash, sizeof(hash));
		if (src->next[0]) {
			char host[256];
			if (!next[0])
				break;
			if (url_resolve(url, next, url, sizeof(url))) {
				rc = bf_errf(err, BF_EINVAL,
					     "%s: next link is not an http(s) "
					     "URL",
					     name);
				goto out;
			}
			url_host(url, host, sizeof(host));
			if (c.has_key && strcmp(host, c.host) != 0) {
				rc = bf_errf(err, BF_EINVAL,
					     "%s: next link leads to another "
					     "host (%s); the API key is not "
					     "sent there",
					     name, host);
				goto out;
			}
			for (size_t k = 0; k < d.npages; k++)
				if (strcmp(d.pages[k].url, url) == 0) {
					rc = bf_errf(err, BF_EINVAL,
						     "%s: next link %s leads "
						     "back to page %zu",
						     name,
						     show_url(url, shown,
							      sizeof(shown)),
						     k + 1);
					goto out;
				}
		} else {
			if (records < 0) {
				rc = bf_errf(err, BF_EINVAL,
					     "%s: no records array at \"%s\"",
					     name, src->records);
				goto out;
			}
			if (records < src->page_size)
				break;
			if (url_with_param(src->url, src->page_param,
					   src->page_start + (int64_t)page + 1,
					   src->page_size_param,
					   src->page_size, url, sizeof(url))) {
				rc = bf_errf(err, BF_EINVAL,
					     "source %s: cannot build the URL "
					     "of page %zu",
					     src->name, page + 2);
				goto out;
			}
		}
	}
	if (src->organisations_url[0] && !d.not_modified) {
		struct fetch_validators v = d.v; /* the projects' */
		long status;
		uint8_t *body = NULL;
		size_t len = 0;

		rc = get(&c, src->organisations_url, NULL, &d, &body, &len,
			 &status, err);
		d.v = v;
		if (rc)
			goto out;
		d.orgs.url = strdup(src->organisations_url);
		d.orgs.body = body;
		d.orgs.len = len;
		d.bytes += len;
		if (!d.orgs.url) {
			rc = bf_errf(err, BF_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = d;
	memset(&d, 0, sizeof(d));
	rc = BF_OK;
out:
	client_free(&c);
	fetch_download_free(&d);
	return rc;
}

void fetch_download_free(struct fetch_download *d)
{
	for (size_t i = 0; i < d->npages; i++) {
		free(d->pages[i].url);
		free(d->pages[i].body);
	}
	free(d->pages);
	free(d->orgs.url);
	free(d->orgs.body);
	memset(d, 0, sizeof(*d));
}
