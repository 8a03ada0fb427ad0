/** Stable codes; tests and the manager's reject counters match on these, never on messages. */
export type DecodeErrorCode =
  | 'SHORT_BUFFER' // fewer bytes after the offset than one message needs
  | 'BAD_SIZE' // the frame is neither 1464 (LP64) nor 1456 (ILP32) bytes, or not the ABI asked for
  | 'BAD_VERSION' // `version` is not DHCP_VERSION_4 (0) or DHCP_VERSION_6 (1)
  | 'UNTERMINATED_STRING' // an id/term field (ifname, address, prefix, DNS...) has no NUL
  | 'BAD_BOOL' // a bool byte other than 0 or 1
  | 'NONZERO_PADDING'; // a padding byte, unused union byte or the `next` pointer is not zero

export type EncodeErrorCode =
  | 'STRING_TOO_LONG' // a value longer than its char array allows
  | 'BAD_STRING' // a string with a NUL or a character above U+00FF (C char arrays hold bytes)
  | 'BAD_INTEGER' // not an integer in the field's range (u32 / i32)
  | 'BAD_BOOL' // a bool field that is not `true` or `false` (a missing one would silently be 0)
  | 'BAD_VERSION' // neither 4 nor 6
  | 'MISSING_FIELD' // the lease object lacks dhcpv4/dhcpv6 or one of its sub-objects
  | 'BAD_ABI' // unknown ABI name
  | 'SHORT_BUFFER'; // the target buffer is too small at that offset

export class PluginMsgDecodeError extends Error {
  override readonly name = 'PluginMsgDecodeError';
  constructor(readonly code: DecodeErrorCode, detail: string, readonly field?: string) {
    super(`Cannot decode plugin message (${detail})`);
  }
}

export class PluginMsgEncodeError extends Error {
  override readonly name = 'PluginMsgEncodeError';
  constructor(readonly code: EncodeErrorCode, detail: string, readonly field?: string) {
    super(`Cannot encode plugin message (${detail})`);
  }
}
