// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fixture for test-elf: built as a PIE, a non-PIE executable, a shared
 * library and a stripped PIE (.dynsym only). Never run: the test resolves
 * the symbols below and checks that the bytes at the file offsets it gets
 * are the marker bytes each symbol starts with. Only data directives, so
 * it assembles for any architecture. tlob_fixture_sled, 4 KiB long, gives
 * tests/dbus/rss-budgets.sh distinct offsets for many budgets
 * (tlob_fixture_sled+0x1 ... +0xfff).
 */
__asm__(
	"	.text\n"
	"	.globl tlob_fixture_start\n"
	"	.type tlob_fixture_start, STT_FUNC\n"
	"tlob_fixture_start:\n"
	"	.ascii \"TLOBSTAR\"\n"
	"	.size tlob_fixture_start, . - tlob_fixture_start\n"
	"	.globl tlob_fixture_stop\n"
	"	.type tlob_fixture_stop, STT_FUNC\n"
	"tlob_fixture_stop:\n"
	"	.ascii \"TLOBSTOP\"\n"
	"	.size tlob_fixture_stop, . - tlob_fixture_stop\n"
	"	.type tlob_fixture_local, STT_FUNC\n"
	"tlob_fixture_local:\n"
	"	.ascii \"TLOBLOCL\"\n"
	"	.size tlob_fixture_local, . - tlob_fixture_local\n"
	"	.globl tlob_fixture_sled\n"
	"	.type tlob_fixture_sled, STT_FUNC\n"
	"tlob_fixture_sled:\n"
	"	.skip 4096\n"
	"	.size tlob_fixture_sled, . - tlob_fixture_sled\n"
	"	.globl tlob_fixture_label\n"
	"tlob_fixture_label:\n"
	"	.ascii \"TLOBLABL\"\n"
	"	.data\n"
	"	.globl tlob_fixture_data\n"
	"	.type tlob_fixture_data, STT_OBJECT\n"
	"tlob_fixture_data:\n"
	"	.ascii \"TLOBDATA\"\n"
	"	.size tlob_fixture_data, . - tlob_fixture_data\n"
	"	.text\n");

int main(void);
int main(void)
{
	return 0;
}
