import Foundation

/// A listener that could not start: which one (`webhooks` or `admin`), on which address,
/// and what to do. Raised once, by the listener's own service, instead of the socket
/// error alone.
package struct ListenerError: Error, CustomStringConvertible, Equatable {
    /// Stable codes: why the listener did not start.
    package enum Code: String, Sendable {
        /// Another process listens on the address (`EADDRINUSE`).
        case addressInUse = "address_in_use"
        /// The address is not one of this machine's (`EADDRNOTAVAIL`) or does not resolve.
        case addressUnavailable = "address_unavailable"
        /// A port below 1024 without the privilege to bind it (`EACCES`).
        case permissionDenied = "permission_denied"
        /// Any other failure to bind.
        case other
    }

    package let code: Code
    /// `webhooks` or `admin`.
    package let listener: String
    /// `host:port` as configured.
    package let address: String
    /// The settings that move this listener, named in the advice.
    let settings: String
    /// The underlying error's text, for ``Code/other``.
    let detail: String

    /// An error for `listener` on `address`; `settings` names how to change its address.
    package init(_ code: Code, listener: String, address: String, settings: String, detail: String = "") {
        self.code = code
        self.listener = listener
        self.address = address
        self.settings = settings
        self.detail = detail
    }

    package var description: String {
        switch code {
        case .addressInUse:
            return "the \(listener) listener cannot listen on \(address): address already in use; stop the process that uses it "
                + "(ss -ltnp shows it) or choose another address (\(settings))"
        case .addressUnavailable:
            return "the \(listener) listener cannot listen on \(address): the address is not one of this machine's; choose another (\(settings))"
        case .permissionDenied:
            return "the \(listener) listener cannot listen on \(address): permission denied (ports below 1024 need privileges); "
                + "choose a port of 1024 or more (\(settings))"
        case .other:
            return "the \(listener) listener cannot listen on \(address): \(detail); check the address (\(settings))"
        }
    }

    package static func == (lhs: ListenerError, rhs: ListenerError) -> Bool { lhs.code == rhs.code }
}
