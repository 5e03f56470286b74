/* NVMe completion status decoding: a name for every Status Code Type / Status Code pair
 * (NVMe 1.4 §4.6.1.2.1 generic, §4.6.1.2.2 command specific, §4.6.1.2.3 media and data
 * integrity, §4.6.1.2.4 path related), and the E_* code the driver returns for each. */
#include "abi/error.h"
#include "nvme.h"

struct sc_name {
	uint8_t sc;
	int err;
	const char *name;
};

/* clang-format off */
/* §4.6.1.2.1: generic, 00h-7Fh for every command set, 80h-BFh for the NVM command set. */
static const struct sc_name generic[] = {
	{ 0x00, 0,       "Successful Completion" },
	{ 0x01, E_NOSYS, "Invalid Command Opcode" },
	{ 0x02, E_INVAL, "Invalid Field in Command" },
	{ 0x03, E_EXIST, "Command ID Conflict" },
	{ 0x04, E_FAULT, "Data Transfer Error" },
	{ 0x05, E_AGAIN, "Commands Aborted due to Power Loss Notification" },
	{ 0x06, E_FAULT, "Internal Error" },
	{ 0x07, E_AGAIN, "Command Abort Requested" },
	{ 0x08, E_AGAIN, "Command Aborted due to SQ Deletion" },
	{ 0x09, E_AGAIN, "Command Aborted due to Failed Fused Command" },
	{ 0x0a, E_AGAIN, "Command Aborted due to Missing Fused Command" },
	{ 0x0b, E_NOENT, "Invalid Namespace or Format" },
	{ 0x0c, E_INVAL, "Command Sequence Error" },
	{ 0x0d, E_INVAL, "Invalid SGL Segment Descriptor" },
	{ 0x0e, E_INVAL, "Invalid Number of SGL Descriptors" },
	{ 0x0f, E_INVAL, "Data SGL Length Invalid" },
	{ 0x10, E_INVAL, "Metadata SGL Length Invalid" },
	{ 0x11, E_INVAL, "SGL Descriptor Type Invalid" },
	{ 0x12, E_INVAL, "Invalid Use of Controller Memory Buffer" },
	{ 0x13, E_ALIGN, "PRP Offset Invalid" },
	{ 0x14, E_RANGE, "Atomic Write Unit Exceeded" },
	{ 0x15, E_PERM,  "Operation Denied" },
	{ 0x16, E_ALIGN, "SGL Offset Invalid" },
	{ 0x18, E_INVAL, "Host Identifier Inconsistent Format" },
	{ 0x19, E_AGAIN, "Keep Alive Timer Expired" },
	{ 0x1a, E_INVAL, "Keep Alive Timeout Invalid" },
	{ 0x1b, E_AGAIN, "Command Aborted due to Preempt and Abort" },
	{ 0x1c, E_FAULT, "Sanitize Failed" },
	{ 0x1d, E_BUSY,  "Sanitize In Progress" },
	{ 0x1e, E_ALIGN, "SGL Data Block Granularity Invalid" },
	{ 0x1f, E_INVAL, "Command Not Supported for Queue in CMB" },
	{ 0x20, E_PERM,  "Namespace is Write Protected" },
	{ 0x21, E_AGAIN, "Command Interrupted" },
	{ 0x22, E_AGAIN, "Transient Transport Error" },
	{ 0x80, E_RANGE, "LBA Out of Range" },
	{ 0x81, E_NOMEM, "Capacity Exceeded" },
	{ 0x82, E_AGAIN, "Namespace Not Ready" },
	{ 0x83, E_PERM,  "Reservation Conflict" },
	{ 0x84, E_BUSY,  "Format In Progress" },
};

/* §4.6.1.2.2: command specific, 00h-7Fh for every command set, 80h-BFh for NVM. */
static const struct sc_name specific[] = {
	{ 0x00, E_INVAL, "Completion Queue Invalid" },
	{ 0x01, E_INVAL, "Invalid Queue Identifier" },
	{ 0x02, E_INVAL, "Invalid Queue Size" },
	{ 0x03, E_NOMEM, "Abort Command Limit Exceeded" },
	{ 0x05, E_NOMEM, "Asynchronous Event Request Limit Exceeded" },
	{ 0x06, E_INVAL, "Invalid Firmware Slot" },
	{ 0x07, E_INVAL, "Invalid Firmware Image" },
	{ 0x08, E_INVAL, "Invalid Interrupt Vector" },
	{ 0x09, E_INVAL, "Invalid Log Page" },
	{ 0x0a, E_INVAL, "Invalid Format" },
	{ 0x0b, E_AGAIN, "Firmware Activation Requires Conventional Reset" },
	{ 0x0c, E_BUSY,  "Invalid Queue Deletion" },
	{ 0x0d, E_INVAL, "Feature Identifier Not Saveable" },
	{ 0x0e, E_INVAL, "Feature Not Changeable" },
	{ 0x0f, E_INVAL, "Feature Not Namespace Specific" },
	{ 0x10, E_AGAIN, "Firmware Activation Requires NVM Subsystem Reset" },
	{ 0x11, E_AGAIN, "Firmware Activation Requires Controller Level Reset" },
	{ 0x12, E_AGAIN, "Firmware Activation Requires Maximum Time Violation" },
	{ 0x13, E_PERM,  "Firmware Activation Prohibited" },
	{ 0x14, E_EXIST, "Overlapping Range" },
	{ 0x15, E_NOMEM, "Namespace Insufficient Capacity" },
	{ 0x16, E_NOENT, "Namespace Identifier Unavailable" },
	{ 0x18, E_EXIST, "Namespace Already Attached" },
	{ 0x19, E_PERM,  "Namespace Is Private" },
	{ 0x1a, E_NOENT, "Namespace Not Attached" },
	{ 0x1b, E_NOSYS, "Thin Provisioning Not Supported" },
	{ 0x1c, E_INVAL, "Controller List Invalid" },
	{ 0x1d, E_BUSY,  "Device Self-test In Progress" },
	{ 0x1e, E_PERM,  "Boot Partition Write Prohibited" },
	{ 0x1f, E_INVAL, "Invalid Controller Identifier" },
	{ 0x20, E_INVAL, "Invalid Secondary Controller State" },
	{ 0x21, E_INVAL, "Invalid Number of Controller Resources" },
	{ 0x22, E_INVAL, "Invalid Resource Identifier" },
	{ 0x23, E_PERM,  "Sanitize Prohibited While Persistent Memory Region is Enabled" },
	{ 0x24, E_INVAL, "ANA Group Identifier Invalid" },
	{ 0x25, E_FAULT, "ANA Attach Failed" },
	{ 0x80, E_INVAL, "Conflicting Attributes" },
	{ 0x81, E_INVAL, "Invalid Protection Information" },
	{ 0x82, E_PERM,  "Attempted Write to Read Only Range" },
};

/* §4.6.1.2.3: media and data integrity errors (NVM command set). */
static const struct sc_name media[] = {
	{ 0x80, E_FAULT, "Write Fault" },
	{ 0x81, E_FAULT, "Unrecovered Read Error" },
	{ 0x82, E_FAULT, "End-to-end Guard Check Error" },
	{ 0x83, E_FAULT, "End-to-end Application Tag Check Error" },
	{ 0x84, E_FAULT, "End-to-end Reference Tag Check Error" },
	{ 0x85, E_FAULT, "Compare Failure" },
	{ 0x86, E_PERM,  "Access Denied" },
	{ 0x87, E_NOENT, "Deallocated or Unwritten Logical Block" },
};

/* §4.6.1.2.4: path related status. */
static const struct sc_name path[] = {
	{ 0x00, E_FAULT, "Internal Path Error" },
	{ 0x01, E_FAULT, "Asymmetric Access Persistent Loss" },
	{ 0x02, E_AGAIN, "Asymmetric Access Inaccessible" },
	{ 0x03, E_AGAIN, "Asymmetric Access Transition" },
	{ 0x60, E_FAULT, "Controller Pathing Error" },
	{ 0x70, E_FAULT, "Host Pathing Error" },
	{ 0x71, E_AGAIN, "Command Aborted By Host" },
};
/* clang-format on */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct sc_name *
lookup(uint16_t status)
{
	const struct sc_name *t;
	unsigned n;

	switch (NVME_SF_SCT(status)) {
	case NVME_SCT_GENERIC:
		t = generic, n = N(generic);
		break;
	case NVME_SCT_CMD_SPECIFIC:
		t = specific, n = N(specific);
		break;
	case NVME_SCT_MEDIA:
		t = media, n = N(media);
		break;
	case NVME_SCT_PATH:
		t = path, n = N(path);
		break;
	default:
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		if (t[i].sc == NVME_SF_SC(status))
			return &t[i];
	}
	return NULL;
}

const char *
nvme_sct_name(unsigned sct)
{
	static const char *const names[8] = {
		"Generic Command Status",
		"Command Specific Status",
		"Media and Data Integrity Errors",
		"Path Related Status",
		"Reserved SCT 4",
		"Reserved SCT 5",
		"Reserved SCT 6",
		"Vendor Specific",
	};
	return names[sct & 7];
}

bool
nvme_status_defined(uint16_t status)
{
	return lookup(status) != NULL;
}

/* Codes the table lacks: C0h-FFh of every type is vendor specific (§4.6.1.2); the rest are
 * reserved.  Both are named by type, so a reader still knows which figure to look in. */
const char *
nvme_status_name(uint16_t status)
{
	static const char *const vendor[8] = {
		"Vendor Specific (generic)", "Vendor Specific (command specific)",
		"Vendor Specific (media)",   "Vendor Specific (path)",
		"Vendor Specific (SCT 4)",   "Vendor Specific (SCT 5)",
		"Vendor Specific (SCT 6)",   "Vendor Specific",
	};
	static const char *const reserved[8] = {
		"Reserved (generic)", "Reserved (command specific)",
		"Reserved (media)",   "Reserved (path)",
		"Reserved (SCT 4)",   "Reserved (SCT 5)",
		"Reserved (SCT 6)",   "Vendor Specific",
	};
	const struct sc_name *e = lookup(status);
	unsigned sct = NVME_SF_SCT(status);

	if (e != NULL)
		return e->name;
	if (NVME_SF_SC(status) >= 0xc0 || sct == NVME_SCT_VENDOR)
		return vendor[sct];
	return reserved[sct];
}

int
nvme_status_err(uint16_t status)
{
	const struct sc_name *e;

	if ((status & 0x7ff) == 0)
		return 0;
	e = lookup(status);
	return e != NULL ? e->err : E_FAULT;
}
