import GRDB
import HookGateCore

/// A ``DeliveryStatus`` is stored as its raw value in the `status` column, so it binds
/// as a statement argument and decodes from a row directly; an unknown value in the
/// column fails the row's decoding.
extension DeliveryStatus: DatabaseValueConvertible {}
