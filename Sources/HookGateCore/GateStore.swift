/// Everything a gate needs from its database: one backend implements all four roles.
///
/// The composition root opens one (SQLite now); intake, dispatcher, admin routes and
/// commands see only these protocols.
public typealias GateStore = DeliveryQueue & EventQueries & EventStore & KeyStore & Quarantine
