import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// ``OutboundHTTPClient``'s transport for `http://`: HTTP/1.1 over plain TCP on SwiftNIO,
/// keep-alive connections pooled per host and port, at most `connectionsPerHost` of them
/// open (idle, busy or connecting) at a time; a request that finds none free waits for
/// one, in arrival order, until its deadline.
///
/// It exists beside AsyncHTTPClient because it writes each request with one flush
/// (AsyncHTTPClient 1.37 flushes head, body and end separately) and drained a delivery
/// backlog about 1.6 times as fast (`Benchmarks/delivery.sh`; docs/architecture.md,
/// "Design decisions, and why"). Redirects are never followed.
///
/// A kept-alive connection can be closed by the server while it sits idle, and the close
/// can cross the next request on the wire. When a reused connection ends before a single
/// byte of answer arrived, the server dropped the connection rather than answer, so the
/// request is sent once more on a new connection; a request that got any part of an
/// answer, timed out, or failed on a new connection is never sent again.
final class HTTPConnectionPool: Sendable {
    /// Why an exchange failed; `stale` when a connection ended before any byte of answer.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        var stale = false
    }

    /// What a request that asked for a connection is given.
    private enum Grant: Sendable {
        case reuse(any Channel)
        case connect
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
        let timer: Scheduled<Void>?
    }

    /// One host and port: its idle connections, how many are open, who waits for one.
    private struct Host {
        var idle: [any Channel] = []
        var open = 0
        var waiters: [Waiter] = []
    }

    private struct State {
        var hosts: [String: Host] = [:]
        var nextID: UInt64 = 0
        var shutDown = false
    }

    let connectionsPerHost: Int
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    init(connectionsPerHost: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.connectionsPerHost = max(1, connectionsPerHost)
        self.group = group
    }

    /// Sends one request and collects its answer (at most `limit` body bytes, per `overflow`).
    /// - Throws: ``Failure`` on connection failure, an answer over the limit, the deadline, or shutdown.
    func execute(
        host: String, port: Int, method: HTTPMethod, target: String, headers: [(String, String)], body: [UInt8],
        limit: Int, overflow: OutboundHTTPClient.Overflow, deadline: NIODeadline
    ) async throws -> CollectedResponse {
        let key = "\(host):\(port)"
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
        let hostName = host.contains(":") ? "[\(host)]" : host
        head.headers.add(name: "Host", value: port == 80 ? hostName : "\(hostName):\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        var fresh = false
        while true {
            let (channel, reused) = try await acquire(key: key, host: host, port: port, fresh: fresh, deadline: deadline)
            do {
                let collected = try await exchange(on: channel, head: head, body: body, limit: limit, overflow: overflow, deadline: deadline)
                release(channel, key: key, reusable: collected.keepAlive)
                return collected
            } catch let failure as Failure {
                release(channel, key: key, reusable: false)
                // One more try, on a new connection, only for a kept-alive one that ended unanswered.
                guard failure.stale, reused, !fresh else { throw failure }
                fresh = true
            } catch {
                release(channel, key: key, reusable: false)
                throw error
            }
        }
    }

    private func exchange(
        on channel: any Channel, head: HTTPRequestHead, body: [UInt8], limit: Int, overflow: OutboundHTTPClient.Overflow, deadline: NIODeadline
    ) async throws -> CollectedResponse {
        let promise = channel.eventLoop.makePromise(of: CollectedResponse.self)
        let timeoutTask = channel.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(Failure(description: "no complete answer before the deadline"))
            channel.close(promise: nil)
        }
        defer { timeoutTask.cancel() }
        let envelope = RequestEnvelope(head: head, body: ByteBuffer(bytes: body), limit: limit, overflow: overflow, promise: promise)
        channel.writeAndFlush(envelope, promise: nil)
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
            channel.close(promise: nil)
        }
    }

    /// A connection to `key`: an idle one (`reused`), or a new one when fewer than
    /// ``connectionsPerHost`` are open; otherwise waits for one until `deadline`. With
    /// `fresh`, an idle connection is closed and a new one opened in its place.
    private func acquire(key: String, host: String, port: Int, fresh: Bool, deadline: NIODeadline) async throws -> (any Channel, Bool) {
        let grant = try await grant(key: key, fresh: fresh, deadline: deadline)
        switch grant {
        case .reuse(let channel):
            return (channel, true)
        case .connect:
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(max(.milliseconds(1), deadline - .now()))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                    }
                }
            do {
                return (try await bootstrap.connect(host: host, port: port).get(), false)
            } catch {
                freeSlot(key: key)
                throw Failure(description: "cannot connect to \(host):\(port): \(error)")
            }
        }
    }

    private func grant(key: String, fresh: Bool, deadline: NIODeadline) async throws -> Grant {
        let eventLoop = group.next()
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                var closing: [any Channel] = []
                let immediate = state.withLock { state -> Result<Grant, any Error>? in
                    if state.shutDown { return .failure(Failure(description: "the HTTP client is shut down")) }
                    var host = state.hosts[key] ?? Host()
                    defer { state.hosts[key] = host }
                    while let channel = host.idle.popLast() {
                        guard channel.isActive else {
                            host.open -= 1
                            continue
                        }
                        guard fresh else { return .success(.reuse(channel)) }
                        closing.append(channel)  // its slot goes to the new connection
                        return .success(.connect)
                    }
                    if host.open < connectionsPerHost {
                        host.open += 1
                        return .success(.connect)
                    }
                    if deadline <= .now() { return .failure(Failure(description: "no free connection to \(key) before the deadline")) }
                    let timer = eventLoop.scheduleTask(deadline: deadline) {
                        self.abandon(key: key, id: id, Failure(description: "no free connection to \(key) before the deadline"))
                    }
                    host.waiters.append(Waiter(id: id, continuation: continuation, timer: timer))
                    return nil
                }
                for channel in closing { channel.close(promise: nil) }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            abandon(key: key, id: id, CancellationError())
        }
    }

    /// Removes waiter `id` (its deadline passed, or its task was cancelled) and fails it.
    private func abandon(key: String, id: UInt64, _ error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.hosts[key]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.hosts[key]?.waiters.remove(at: index)
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    /// Gives `channel` back: to the longest waiter, to the idle list, or closed (its slot then
    /// goes to the longest waiter, who opens a new connection).
    private func release(_ channel: any Channel, key: String, reusable: Bool) {
        let keep = reusable && channel.isActive
        let handover = state.withLock { state -> (Waiter, Grant)? in
            guard var host = state.hosts[key] else { return nil }
            defer { state.hosts[key] = host }
            if keep && !state.shutDown {
                if !host.waiters.isEmpty { return (host.waiters.removeFirst(), .reuse(channel)) }
                host.idle.append(channel)
                return nil
            }
            host.open -= 1
            guard !host.waiters.isEmpty else { return nil }
            host.open += 1
            return (host.waiters.removeFirst(), .connect)
        }
        if !keep || state.withLock({ $0.shutDown }) { channel.close(promise: nil) }
        if let handover {
            handover.0.timer?.cancel()
            handover.0.continuation.resume(returning: handover.1)
        }
    }

    /// A connection that was never opened (connect failed) frees its slot.
    private func freeSlot(key: String) {
        let waiter = state.withLock { state -> Waiter? in
            guard var host = state.hosts[key] else { return nil }
            defer { state.hosts[key] = host }
            guard host.waiters.isEmpty else { return host.waiters.removeFirst() }
            host.open -= 1
            return nil
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: .connect)
    }

    /// Closes every idle connection and fails every waiting request; later requests fail.
    func shutdown() {
        let (channels, waiters) = state.withLock { state -> ([any Channel], [Waiter]) in
            defer {
                state.hosts = [:]
                state.shutDown = true
            }
            return (state.hosts.values.flatMap(\.idle), state.hosts.values.flatMap(\.waiters))
        }
        for channel in channels { channel.close(promise: nil) }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(throwing: Failure(description: "the HTTP client is shut down"))
        }
    }
}
