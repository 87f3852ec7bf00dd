# biofed: federated inventory of biomedical research networks.
#
#   make                 build build/biofed (and build/biofedd when present)
#   make check           unit + black-box tests; ends with "N passed, N failed"
#   make check SAN=address,undefined   the same under sanitizers (own build dir)
#   make bench           benchmarks (print their figures; not part of check)
#   make fuzz            libFuzzer targets (clang), run briefly
#   make demo            a local demonstration node/federation with example data
#   make install DESTDIR=... PREFIX=/usr/local
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

check: $(BUILD)/biofed $(BUILD)/biofedd $(UNIT_BIN) $(TOOL_BIN)
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

demo: $(BUILD)/biofed
	@BUILD=$(BUILD) deploy/demo.sh

install: $(BUILD)/biofed $(BUILD)/biofedd
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/biofed
	install -m 0755 $(BUILD)/biofed $(DESTDIR)$(PREFIX)/bin/biofed
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BUILD)/biofedd $(DESTDIR)$(PREFIX)/sbin/biofedd
	install -m 0644 README.md proto/PROTOCOL.md conf/biofed.conf.example $(DESTDIR)$(PREFIX)/share/doc/biofed/
	install -m 0644 deploy/README.md $(DESTDIR)$(PREFIX)/share/doc/biofed/DEPLOY.md
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/|$(PREFIX)/|g' deploy/biofedd.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/biofedd.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/biofedd.service

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c

clean:
	rm -rf build build-san build-fuzz

.PHONY: all check bench fuzz demo install format clean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
