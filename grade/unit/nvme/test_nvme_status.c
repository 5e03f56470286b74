/* NVMe status decoding (lib/drivers/nvme/status.c): every (SCT, SC) has a name, the codes the
 * specification defines have their own, and only success maps to 0. */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "nvmefix.h"

Test(nvme_status, every_status_code_type_and_code_maps_to_a_name)
{
	unsigned defined[8] = { 0 };

	for (unsigned sct = 0; sct < 8; sct++) {
		for (unsigned sc = 0; sc < 256; sc++) {
			uint16_t sf = NVME_SF(sct, sc);
			const char *name = nvme_status_name(sf);
			cr_assert(name != NULL && name[0] != 0);
			bool gen = strncmp(name, "Reserved", 8) == 0 ||
			           strncmp(name, "Vendor Specific", 15) == 0;
			cr_assert_eq(nvme_status_defined(sf), !gen, "0x%03x %s", sf, name);
			defined[sct] += nvme_status_defined(sf);
			if (sf != 0)
				cr_assert_lt(nvme_status_err(sf), 0, "0x%03x", sf);
			if (sc >= 0xc0)
				cr_assert(strncmp(name, "Vendor Specific", 15) == 0, "0x%03x", sf);
		}
	}
	cr_assert_eq(nvme_status_err(0), 0);
	/* NVMe 1.4 §4.6.1.2.1-4: 34 + 5 generic, 36 + 3 command specific, 8 media, 7 path. */
	cr_assert_eq(defined[0], 39);
	cr_assert_eq(defined[1], 39);
	cr_assert_eq(defined[2], 8);
	cr_assert_eq(defined[3], 7);
	cr_assert_eq(defined[4] + defined[5] + defined[6] + defined[7], 0);
}

Test(nvme_status, defined_codes_have_distinct_names)
{
	for (unsigned a = 0; a < 8 * 256; a++) {
		uint16_t fa = NVME_SF(a >> 8, a & 0xff);
		if (!nvme_status_defined(fa))
			continue;
		for (unsigned b = a + 1; b < 8 * 256; b++) {
			uint16_t fb = NVME_SF(b >> 8, b & 0xff);
			if (nvme_status_defined(fb))
				cr_assert_str_neq(nvme_status_name(fa), nvme_status_name(fb));
		}
	}
}

Test(nvme_status, names_and_errors_of_the_codes_the_driver_meets)
{
	cr_assert_str_eq(nvme_status_name(0x000), "Successful Completion");
	cr_assert_str_eq(nvme_status_name(0x080), "LBA Out of Range");
	cr_assert_eq(nvme_status_err(0x080), E_RANGE);
	cr_assert_str_eq(nvme_status_name(0x007), "Command Abort Requested");
	cr_assert_str_eq(nvme_status_name(0x102), "Invalid Queue Size");
	cr_assert_str_eq(nvme_status_name(0x281), "Unrecovered Read Error");
	cr_assert_str_eq(nvme_status_name(0x371), "Command Aborted By Host");
	cr_assert_str_eq(nvme_status_name(0x017), "Reserved (generic)");
	cr_assert_str_eq(nvme_status_name(0x7c5), "Vendor Specific");
	/* DNR, More and CRD do not change the name. */
	cr_assert_str_eq(nvme_status_name(0x080 | 1u << 14 | 1u << 13), "LBA Out of Range");
	cr_assert_str_eq(nvme_sct_name(2), "Media and Data Integrity Errors");
}
