/// HookGateDispatch will hold the fan-out service (HTTP, exec and file handlers, retries,
/// dead letters). It is empty until the fan-out issue lands: nothing here is used yet.
enum HookGateDispatch {}
