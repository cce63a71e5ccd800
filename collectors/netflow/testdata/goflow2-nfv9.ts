// A Cisco NetFlow v9 template and data packet from goflow2's decoder tests (BSD-3-Clause; see README.md here).

/** netsampler/goflow2 decoders/netflow/netflow_test.go, TestDecodeNetFlowV9 `template`: source id 256, template 260, 23 fields. */
export const GOFLOW2_V9_TEMPLATE = `
0009 0001 b3bff683 618aa3a8 3201ee98 00000100
0000 0064 0104 0017
0002 0004 0001 0004 0008 0004 000c 0004 000a 0004 000e 0004 0015 0004 0016 0004
0007 0002 000b 0002 0010 0004 0011 0004 0012 0004 0009 0001 000d 0001 0004 0001
0006 0001 0005 0001 003d 0001 0059 0001 0030 0002 00ea 0004 00eb 0004`;

/**
 * The same test's `data[:89]`: header and the first 65-octet record of a 21-record data set. goflow2 decodes the
 * cut set as far as it goes; we refuse a set whose length passes the datagram, so the set length 1372 (055c)
 * is patched to 69 (0045) here. Nothing else is changed.
 */
export const GOFLOW2_V9_DATA = `
0009 0015 b3bff683 618aa3a8 3201ee9c 00000100
0104 0045
00000001 000005dc c62678de 5879d9d0 00000162 00000130 b3bfe6f9 b3bfe6f9
01bb 3b50 00000000 00000000 fcdf0000 18 0e 06 10 00 00 40 0001 60000002 60000000`;
