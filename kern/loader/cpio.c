/* The cpio "newc" archive reader for the initial ramdisk: pure functions over a buffer,
 * shared by the kernel and the host unit tests.  Format: a 110-byte ASCII header ("070701"
 * or "070702", then 13 fields of 8 hex digits), the name (namesize bytes with its NUL), the
 * data; header + name and the data are each padded to a multiple of 4 bytes (the format
 * described in the GNU cpio manual, "newc"); the last entry is named TRAILER!!!. */
#include "abi/error.h"
#include "loader.h"

#define HDR_SIZE    110
#define FIELD_MODE  1 /* field numbers after the magic */
#define FIELD_SIZE  6
#define FIELD_NAMES 11
#define MODE_TYPE   0170000u
#define MODE_REG    0100000u

static const char trailer[] = "TRAILER!!!";

static int
bytes_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Field `i` (0-based after the magic) of the header at h: E_INVAL unless 8 hex digits. */
static int64_t
field(const char *h, unsigned i)
{
	const char *p = h + 6 + 8 * i;
	uint32_t v = 0;

	for (unsigned k = 0; k < 8; k++) {
		char c = p[k];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return E_INVAL;
		v = v << 4 | d;
	}
	return v;
}

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int
cpio_next(const void *buf, size_t len, size_t *pos, struct cpio_file *f)
{
	const char *base = buf, *h;
	int64_t mode, size, namesize;
	size_t name_end, data_end;

	if (buf == NULL || pos == NULL || f == NULL || *pos > len || len - *pos < HDR_SIZE)
		return E_INVAL;
	h = base + *pos;
	if (!bytes_equal(h, "070701", 6) && !bytes_equal(h, "070702", 6))
		return E_INVAL;
	mode = field(h, FIELD_MODE);
	size = field(h, FIELD_SIZE);
	namesize = field(h, FIELD_NAMES);
	if (mode < 0 || size < 0 || namesize < 0)
		return E_INVAL;
	/* The name holds at least its NUL and ends with it. */
	if (namesize < 1 || (uint64_t)namesize > len - *pos - HDR_SIZE)
		return E_INVAL;
	name_end = *pos + HDR_SIZE + (size_t)namesize;
	if (h[HDR_SIZE + namesize - 1] != '\0')
		return E_INVAL;
	if (pad4(name_end) > len || (uint64_t)size > len - pad4(name_end))
		return E_INVAL;
	data_end = pad4(name_end) + (size_t)size;

	f->name = h + HDR_SIZE;
	f->namelen = (size_t)namesize - 1;
	f->data = base + pad4(name_end);
	f->size = (size_t)size;
	f->mode = (uint32_t)mode;
	if (f->namelen == sizeof(trailer) - 1 && bytes_equal(f->name, trailer, f->namelen))
		return 0;
	/* The last entry's padding may be cut off by a truncated archive: that is harmless. */
	*pos = pad4(data_end) < len ? pad4(data_end) : len;
	return 1;
}

int
cpio_find(const void *buf, size_t len, const char *name, size_t namelen, struct cpio_file *f)
{
	size_t pos = 0;
	int r;

	if (name == NULL || f == NULL)
		return E_INVAL;
	while ((r = cpio_next(buf, len, &pos, f)) == 1) {
		const char *n = f->name;
		size_t nl = f->namelen;

		if (nl >= 2 && n[0] == '.' && n[1] == '/') {
			n += 2;
			nl -= 2;
		}
		if ((f->mode & MODE_TYPE) == MODE_REG && nl == namelen &&
		    bytes_equal(n, name, namelen))
			return 0;
	}
	return r < 0 ? r : E_NOENT;
}
