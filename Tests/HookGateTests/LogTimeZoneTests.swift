import Testing

@testable import HookGateCore

/// The `TZ` the gate pins for its own log timestamps never reaches its exec handlers.
@Suite struct LogTimeZoneTests {
    @Test func thePinnedTimeZoneIsRemovedFromChildEnvironmentsOnly() {
        let pinnedByGate = ["PATH": "/usr/bin", "TZ": LogTimeZone.pinnedValue]
        #expect(LogTimeZone.childEnvironment(pinnedByGate, pinned: true) == ["PATH": "/usr/bin"])
        // The operator's own TZ, even the same text, when the gate did not set it: kept.
        #expect(LogTimeZone.childEnvironment(pinnedByGate, pinned: false) == pinnedByGate)
        let operatorZone = ["TZ": "Europe/Paris"]
        #expect(LogTimeZone.childEnvironment(operatorZone, pinned: true) == operatorZone)
        #expect(LogTimeZone.childEnvironment([:], pinned: true) == [:])
    }
}
