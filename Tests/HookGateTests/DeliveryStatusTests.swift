import Foundation
import HookGateCore
import Testing

/// The delivery states' wire strings: the store column, the admin JSON, the CLI.
@Suite struct DeliveryStatusTests {
    @Test func rawValuesAreTheWireStrings() {
        #expect(DeliveryStatus.allCases.map(\.rawValue) == ["pending", "retrying", "in_flight", "delivered", "dead"])
        #expect("\(DeliveryStatus.inFlight)" == "in_flight")  // CLI output interpolates the status
        #expect(DeliveryStatus(rawValue: "inFlight") == nil)
    }

    @Test func jsonCarriesTheRawValue() throws {
        #expect(String(decoding: try JSONEncoder().encode([DeliveryStatus.inFlight]), as: UTF8.self) == #"["in_flight"]"#)
        #expect(try JSONDecoder().decode([DeliveryStatus].self, from: Data(#"["dead"]"#.utf8)) == [.dead])
    }
}
