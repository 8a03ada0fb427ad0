/** Exit codes of both plugins (docs/plugins.md). */
export const EXIT = {
  ok: 0, // applied, duplicate, stale, spooled, or an event we ignore
  internal: 1, // a bug: please report
  badInput: 2, // argv or a lease variable is missing or malformed; nothing was sent
  config: 3, // the configuration (DHCPMGR_* or the config file) is invalid
  rejected: 4, // the manager answered `rejected`; the event is not spooled
  lost: 5, // neither delivered nor spooled (spool directory not writable)
} as const;
