/* IEEE 802.3 CRC-32, the frame check sequence the NIC models (e1000_model.c, rtl_model.c)
 * append to and check on frames (crc32.c). */
#ifndef EXOSIM_DEV_CRC32_H
#define EXOSIM_DEV_CRC32_H

#include <stdint.h>

uint32_t simdev_crc32(const uint8_t *p, unsigned len);

#endif
