import Foundation
import HookGateCore
import JOSE
import Testing

/// The shared text helpers: a body as JSON carries it, and the two kinds of trimming.
@Suite struct BodyAndWhiteSpaceTests {
    @Test func utf8BodiesStayTextOthersBecomeBase64() throws {
        #expect(EncodedBody(Array(#"{"a":"é"}"#.utf8)) == .utf8(#"{"a":"é"}"#))
        let binary: [UInt8] = [0x7B, 0xC3, 0x28, 0x00, 0xFF]
        let encoded = EncodedBody(binary)
        #expect(encoded.text == nil)
        let base64 = try #require(encoded.base64)
        #expect(Data(base64Encoded: base64).map(Array.init) == binary)
        #expect(EncodedBody([]) == .utf8(""))
    }

    @Test func captureFilesRoundTripBothForms() throws {
        for body in [Array("plain text\n".utf8), [0xFF, 0xFE, 0x00, 0x80] as [UInt8]] {
            let capture = CaptureFile(provider: .plaid, eventID: "e", eventType: "t", receivedAt: Date(), headers: [], body: body)
            #expect((capture.body == nil) != (capture.bodyBase64 == nil))
            #expect(try capture.bodyBytes() == body)
        }
    }

    @Test func tokenHeadersLoseSpacesAndTabsOnly() throws {
        let token = try Signer.token(body: Signer.plaidBody(1))
        #expect(try WebhookVerifier.parse(" \t\(token)\t ").keyID == DevelopmentKeys.keyID)
        #expect(throws: HookGateError(.malformedToken, "")) { try WebhookVerifier.parse("\(token)\n") }
        #expect(throws: HookGateError(.malformedToken, "")) { try WebhookVerifier.parse("\u{A0}\(token)") }
    }

    @Test func forwardedForItemsLoseSpacesAndTabs() throws {
        let resolver = ClientAddressResolver(trustedProxies: [try #require(CIDR("10.0.0.0/8"))])
        let client = resolver.clientAddress(peer: IPAddress("10.0.0.1"), forwardedFor: [" 203.0.113.9 ,\t10.0.0.2\t"])
        #expect(client?.description == "203.0.113.9")
    }

    @Test func ledgerSyncIDsLoseUnicodeWhiteSpace() throws {
        let body = Array("{\"eventId\":\"\u{A0}\\n evt-3\\t\u{2003}\"}".utf8)
        #expect(try EventClassifier.classify(provider: .ledgersync, body: body).id == "evt-3")
    }
}
