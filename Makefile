# biofed: federated inventory of biomedical research networks.
#
#   make                 build build/biofed (and build/biofedd when present)
#   make check           unit + black-box tests; ends with "N passed, N failed"
#   make check SAN=address,undefined   the same under sanitizers (own build dir)
#   make bench           benchmarks (print their figures; not part of check)
#   make fuzz            libFuzzer targets (clang), run briefly
#   make demo            a live federation of three nodes on this machine
#   make man             man pages (scdoc) into $(BUILD)/man
#   make install DESTDIR=... PREFIX=/usr/local
#   make deb             the Debian package, built in a copy (tests/pkg/deb.sh)
#
# demo and check first run deploy/deps.sh (the compiler, libraries and
# tools they need; as root it installs what is missing, otherwise it says
# which packages to install); check-nodeps and demo-nodeps skip that step.
#
# CI=true turns warnings into errors.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
SAN ?=
BUILD ?= build$(if $(SAN),-san,)

WARN = -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
       -Wmissing-prototypes -Wpointer-arith -Wvla -Wundef \
       -Wimplicit-fallthrough -Wconversion -Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) -Isrc -MMD -MP
ifneq ($(CI),)
CFLAGS += -Werror
endif
ifneq ($(SAN),)
CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

LIBS = -lsqlite3 -lcrypto -lssl -ljansson -lcsv -linih -lnng -lcurl -lm -pthread
TEST_LIBS = -lcmocka

LIB_SRC = $(filter-out src/biofed.c src/cmd_%.c,$(wildcard src/*.c))
CLI_SRC = src/biofed.c $(wildcard src/cmd_*.c)
# The Directory's ontologies and model, compiled into tables (src/vocab.h)
VOCAB_DATA = $(wildcard src/directory/ontologies/*.csv) src/directory/molgenis.csv
VOCAB_C = $(BUILD)/gen/vocab_data.c
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/vocab_data.o
CLI_OBJ = $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
BENCH_SRC = $(wildcard tests/bench/*.c)
BENCH_BIN = $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

DAEMON_SRC = $(wildcard daemon/*.c)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/%.o)
DAEMON_LIBS = -lsystemd

all: $(BUILD)/biofed $(BUILD)/biofedd

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/vocabgen: src/directory/vocabgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lcsv

# a build tool that exits when done: what it holds it never frees
$(VOCAB_C): $(BUILD)/vocabgen $(VOCAB_DATA)
	@mkdir -p $(dir $@)
	ASAN_OPTIONS=detect_leaks=0 $(BUILD)/vocabgen src/directory $@

# generated data: no debug info to speak of, and it never changes by hand
$(BUILD)/gen/vocab_data.o: $(VOCAB_C)
	$(CC) $(CFLAGS) -g0 -c $< -o $@

$(BUILD)/libbiofed.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/biofed: $(CLI_OBJ) $(BUILD)/libbiofed.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/biofedd: $(DAEMON_OBJ) $(BUILD)/libbiofed.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libbiofed.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LIBS) $(TEST_LIBS)

# unit tests of the daemon's pure modules link those objects as well
$(BUILD)/tests/test_promtext: $(BUILD)/daemon/promtext.o
$(BUILD)/tests/test_monitor: $(BUILD)/daemon/monitor.o $(BUILD)/daemon/promtext.o

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libbiofed.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(BUILD)/libbiofed.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The dependency step runs before anything compiles: a missing header
# must end in the apt-get line, not in a compiler error.  So it is the
# recipe's first command and the build is a sub-make (which shares the
# jobserver: make -j2 check works).
DEPS = CC='$(CC)' deploy/deps.sh

check:
	@$(DEPS) check
	@$(MAKE) --no-print-directory check-nodeps

check-nodeps: $(BUILD)/biofed $(BUILD)/biofedd $(UNIT_BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) tests/run.sh $(UNIT_BIN)

bench: $(BUILD)/biofed $(BUILD)/biofedd $(BENCH_BIN)
	@BUILD=$(BUILD) tests/bench/run.sh

FUZZ_SECONDS ?= 20
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
# the generated tables of the plain build (make fuzz runs without SAN)
FUZZ_LIB_SRC = $(LIB_SRC) build/gen/vocab_data.c
build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRC)
	@mkdir -p build-fuzz
	clang -g -O1 -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Isrc \
	  -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	  echo "fuzz: $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build-fuzz/corpus-$$n tests/fuzz/seeds/$$n || exit 1; \
	done

demo:
	@$(DEPS) build
	@$(MAKE) --no-print-directory demo-nodeps

demo-nodeps: $(BUILD)/biofed $(BUILD)/biofedd
	@BUILD=$(BUILD) deploy/demo.sh

# --- man pages and installation -------------------------------------------
# Installed text (the unit, the man pages) names the paths of a PREFIX
# install: its sources say /usr/local/... and are rewritten.  systemd's
# unit directory may lie outside PREFIX (Debian 12: /lib/systemd/system).
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR = $(PREFIX)/share/doc/biofed
MANDIR = $(PREFIX)/share/man
VERSION := $(shell sed -n 's/^\#define BF_VERSION "\(.*\)"$$/\1/p' src/util.h)
INSTALL_PATHS = -e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
	-e 's|/usr/local/lib/sysusers.d|$(SYSUSERSDIR)|g' \
	-e 's|/usr/local/lib/tmpfiles.d|$(TMPFILESDIR)|g' \
	-e 's|/usr/local/share/bash-completion/completions|$(COMPLETIONDIR)|g' \
	-e 's|/usr/local/|$(PREFIX)/|g' -e 's|@VERSION@|$(VERSION)|g'

PAGE_PATHS = $(PREFIX) $(UNITDIR) $(SYSUSERSDIR) $(TMPFILESDIR) $(COMPLETIONDIR) $(VERSION)
MAN_SRC = $(wildcard man/*.scd)
MAN_OUT = $(MAN_SRC:man/%.scd=$(BUILD)/man/%)

# the paths the pages were rendered for: a new PREFIX renders them again
$(BUILD)/man/paths: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PAGE_PATHS)' | cmp -s - $@ || echo '$(PAGE_PATHS)' > $@

# scdoc sets .nh and .ad l before .TH, which undoes them: set them after
$(BUILD)/man/%: man/%.scd $(BUILD)/man/paths
	sed $(INSTALL_PATHS) $< | scdoc | sed '/^\.TH /a .nh\n.ad l' > $@.tmp
	mv $@.tmp $@

man: $(MAN_OUT)

install: $(BUILD)/biofed $(BUILD)/biofedd $(MAN_OUT)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/biofed $(DESTDIR)$(PREFIX)/bin/biofed
	install -m 0755 $(BUILD)/biofedd $(DESTDIR)$(PREFIX)/sbin/biofedd
	install -m 0644 README.md proto/PROTOCOL.md conf/biofed.conf.example $(DESTDIR)$(DOCDIR)/
	install -m 0644 deploy/README.md $(DESTDIR)$(DOCDIR)/DEPLOY.md
	for p in $(MAN_OUT); do \
	  s=$${p##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
	  install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/; \
	done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	sed $(INSTALL_PATHS) deploy/biofedd.service > $(DESTDIR)$(UNITDIR)/biofedd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/biofedd.service
	install -m 0644 deploy/biofed.sysusers $(DESTDIR)$(SYSUSERSDIR)/biofed.conf
	install -m 0644 deploy/biofed.tmpfiles $(DESTDIR)$(TMPFILESDIR)/biofed.conf
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 deploy/biofed.bash-completion $(DESTDIR)$(COMPLETIONDIR)/biofed
	ln -sf biofed $(DESTDIR)$(COMPLETIONDIR)/biofedd

# dpkg-buildpackage in a copy of the tree; the .deb, .changes and the
# lintian report land in $(BUILD)/deb
deb:
	@$(DEPS) package
	@BUILD=$(BUILD) tests/pkg/deb.sh --build-only

format:
	clang-format -i src/*.c src/*.h daemon/*.c daemon/*.h tests/unit/*.c

clean:
	rm -rf build build-san build-fuzz

FORCE:

.PHONY: all check check-nodeps bench fuzz demo demo-nodeps man install deb \
	format clean FORCE
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
