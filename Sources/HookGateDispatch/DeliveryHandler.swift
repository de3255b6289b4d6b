/// One handler as the dispatcher works it: its name (the outbox rows' `handler`), the
/// deliverer that makes its attempts, and how many may run at once. The composition root
/// builds them from the configuration.
package struct DeliveryHandler: Sendable {
    /// The handler's name in the configuration and in the outbox.
    package let name: String
    /// Makes the handler's attempts.
    package let deliverer: any Deliverer
    /// The most attempts in flight to this handler at once.
    package let concurrency: Int

    /// A handler named `name`, attempted by `deliverer`, at most `concurrency` at once.
    package init(name: String, deliverer: any Deliverer, concurrency: Int) {
        self.name = name
        self.deliverer = deliverer
        self.concurrency = concurrency
    }
}
