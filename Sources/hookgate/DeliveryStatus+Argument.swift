import ArgumentParser
import HookGateCore

/// `--status` takes a delivery state by its wire name (`in_flight`, not `inFlight`);
/// any other value is a usage error listing the valid ones.
extension DeliveryStatus: ExpressibleByArgument {}
