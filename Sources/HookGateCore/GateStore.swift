/// Everything a gate needs from its database: one backend implements every role.
///
/// The composition root opens one (SQLite embedded, or PostgreSQL when several gates share
/// the work: `SQLiteEventStore`, `PostgresEventStore`); intake, dispatcher, admin routes and
/// commands see only these protocols.
public typealias GateStore = DeliveryQueue & EventQueries & EventStore & KeyStore & Quarantine
