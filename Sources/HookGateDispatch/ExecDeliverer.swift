import Foundation
import HookGateCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Delivers by running a command: `command` as an argv (no shell; the program is
/// looked up in `PATH`), the body on standard input, the contract's `HOOKGATE_*`
/// variables in its environment. Exit status 0 is success. After `timeout` seconds
/// the whole process group is killed (SIGKILL). Excerpts of standard output and
/// error are recorded with the attempt.
///
/// **The whole body or nothing:** standard input is an unlinked temporary file that
/// holds the entire body before the process is spawned; if it cannot be written in full,
/// the command does not run and the attempt fails (and is retried). A handler never sees
/// a partial or empty body because the gate stopped while feeding it.
///
/// **When the gate dies** (SIGKILL, power loss) during an attempt, the handler is not
/// killed: it has its whole body and runs to its end, writing its output into unlinked
/// files (no pipe to break). Its outcome is not recorded, so after the restart the
/// delivery is resumed and the command runs again with `HOOKGATE_ATTEMPT` one higher
/// (at-least-once): handlers must be idempotent by `HOOKGATE_DELIVERY_ID`/`HOOKGATE_EVENT_ID`.
package struct ExecDeliverer: Deliverer {
    let command: [String]
    let timeout: Double

    package init(command: [String], timeout: Double) {
        self.command = command
        self.timeout = timeout
    }

    package func deliver(_ job: DeliveryJob) async -> DeliveryOutcome {
        let environment = [
            "HOOKGATE_EVENT_ID": job.eventID, "HOOKGATE_PROVIDER": job.provider.rawValue, "HOOKGATE_EVENT_TYPE": job.eventType,
            "HOOKGATE_DELIVERY_ID": String(job.deliveryID), "HOOKGATE_ATTEMPT": String(job.attempt),
        ]
        let command = self.command
        let timeout = self.timeout
        let body = job.body
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: ExecDeliverer.run(command: command, extraEnvironment: environment, input: body, timeout: timeout))
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    /// Runs the command synchronously (on a dedicated thread).
    static func run(command: [String], extraEnvironment: [String: String], input: [UInt8], timeout: Double) -> DeliveryOutcome {
        // Standard input: the whole body, written and rewound before the process exists.
        let stdinFD: Int32
        switch TemporaryFile.holding(input) {
        case .success(let fd): stdinFD = fd
        case .failure(let reason):
            return DeliveryOutcome(succeeded: false, excerpt: "not run: the body could not be staged for standard input: \(reason)")
        }
        defer { close(stdinFD) }
        guard case .success(let stdoutFD) = TemporaryFile.holding([]), case .success(let stderrFD) = TemporaryFile.holding([]) else {
            return DeliveryOutcome(succeeded: false, excerpt: "not run: cannot create files for its output: \(String(cString: strerror(errno)))")
        }
        defer {
            close(stdoutFD)
            close(stderrFD)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrFD, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own, so a timeout kills the command and its children;
        // default signal handling and an empty mask, whatever the gate set for itself.
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extraEnvironment { environment[key] = value }
        let envStrings = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        // The descriptors are close-on-exec: only the dup2'ed copies reach the child.
        let spawned = descriptorLock.withLock { _ in
            withCStrings(command) { argv in
                withCStrings(envStrings) { envp in posix_spawnp(&pid, command[0], &actions, &attributes, argv, envp) }
            }
        }
        guard spawned == 0 else {
            return DeliveryOutcome(succeeded: false, excerpt: "cannot run \(command[0]): \(String(cString: strerror(spawned)))")
        }

        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        var status: Int32 = 0
        var timedOut = false
        var pause: UInt32 = 500
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR {
                return DeliveryOutcome(succeeded: false, excerpt: "cannot wait for \(command[0]) (pid \(pid)): \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline {
                timedOut = true
                break
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        let stdout = TemporaryFile.prefix(of: stdoutFD, count: DeliveryOutcome.maxExcerpt)
        let stderr = TemporaryFile.prefix(of: stderrFD, count: DeliveryOutcome.maxExcerpt)
        if timedOut {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return DeliveryOutcome(succeeded: false, excerpt: "timed out after \(timeout) s; process group killed" + excerptText(stdout, stderr))
        }
        let exited = status & 0x7F == 0
        let code = exited ? Int((status >> 8) & 0xFF) : -Int(status & 0x7F)
        let detail = excerptText(stdout, stderr)
        if exited && code == 0 { return DeliveryOutcome(succeeded: true, statusCode: 0, excerpt: detail.isEmpty ? "exit 0" : "exit 0" + detail) }
        return DeliveryOutcome(succeeded: false, statusCode: code, excerpt: (exited ? "exit \(code)" : "killed by signal \(-code)") + detail)
    }

    static func excerptText(_ stdout: [UInt8], _ stderr: [UInt8]) -> String {
        var text = ""
        if !stdout.isEmpty { text += "; stdout: " + String(decoding: stdout, as: UTF8.self) }
        if !stderr.isEmpty { text += "; stderr: " + String(decoding: stderr, as: UTF8.self) }
        return text
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
