/* The Ethernet frame check sequence for the NIC models (crc32.h). */
#include "crc32.h"

/* IEEE 802.3 CRC-32 (reflected, polynomial 0xedb88320), the frame check sequence: eight bytes
 * a step through eight tables built on first use ("slicing by 8"; exosim injects millions of
 * frames), the rest a byte at a time. */
uint32_t
simdev_crc32(const uint8_t *p, unsigned len)
{
	static uint32_t t[8][256];
	uint32_t c = 0xffffffffu;
	unsigned i = 0;

	if (t[0][1] == 0) {
		for (uint32_t b = 0; b < 256; b++) {
			uint32_t x = b;
			for (int k = 0; k < 8; k++)
				x = (x >> 1) ^ (0xedb88320u & -(x & 1));
			t[0][b] = x;
		}
		for (uint32_t b = 0; b < 256; b++)
			for (int k = 1; k < 8; k++)
				t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
	}
	for (; i + 8 <= len; i += 8) {
		uint32_t lo = c ^ (uint32_t)(p[i] | p[i + 1] << 8 | p[i + 2] << 16 |
		                             (uint32_t)p[i + 3] << 24);
		c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		    t[4][lo >> 24] ^ t[3][p[i + 4]] ^ t[2][p[i + 5]] ^ t[1][p[i + 6]] ^
		    t[0][p[i + 7]];
	}
	for (; i < len; i++)
		c = t[0][(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}
