import Foundation
import HookGateCore
import HookGateStore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Delivers by running a command: `command` as an argv (no shell; the program is
/// looked up in `PATH`), the body on standard input, the contract's `HOOKGATE_*`
/// variables in its environment. Exit status 0 is success. After `timeout` seconds
/// the whole process group is killed (SIGKILL). Excerpts of standard output and
/// error are recorded with the attempt.
public struct ExecDeliverer: Deliverer {
    let command: [String]
    let timeout: Double

    init(command: [String], timeout: Double) {
        self.command = command
        self.timeout = timeout
    }

    public func deliver(_ job: DeliveryJob) async -> DeliveryOutcome {
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
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
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
        // Pipes are made close-on-exec and the child spawned under one lock, so no other
        // concurrent spawn inherits this child's pipe ends (which would delay its EOF).
        let spawned: Int32 = spawnLock.withLock { _ in
            guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else { return errno }
            for fd in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
            posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
            return withCStrings(command) { argv in
                withCStrings(envStrings) { envp in
                    posix_spawnp(&pid, command[0], &actions, &attributes, argv, envp)
                }
            }
        }
        guard stdinPipe[0] >= 0, stdoutPipe[0] >= 0, stderrPipe[0] >= 0 else {
            for fd in stdinPipe + stdoutPipe + stderrPipe where fd >= 0 { close(fd) }
            return DeliveryOutcome(succeeded: false, excerpt: "pipe failed: \(String(cString: strerror(spawned)))")
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard spawned == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            return DeliveryOutcome(succeeded: false, excerpt: "cannot run \(command[0]): \(String(cString: strerror(spawned)))")
        }

        let deadline = Date().addingTimeInterval(timeout)
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var written = 0
        var inputFD: Int32 = stdinPipe[1]
        _ = fcntl(inputFD, F_SETFL, fcntl(inputFD, F_GETFL) | O_NONBLOCK)
        var outFD: Int32 = stdoutPipe[0]
        var errFD: Int32 = stderrPipe[0]
        if input.isEmpty {
            close(inputFD)
            inputFD = -1
        }
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while inputFD >= 0 || outFD >= 0 || errFD >= 0 {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                timedOut = true
                break
            }
            var fds = [
                pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0), pollfd(fd: outFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: errFD, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 3, Int32(min(remaining * 1000, 1000)) + 1)
            if ready < 0 && errno != EINTR { break }
            if inputFD >= 0, fds[0].revents != 0 {
                let count = input[written...].withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) }
                if count > 0 { written += count }
                if count < 0 && errno != EAGAIN || written >= input.count {
                    close(inputFD)
                    inputFD = -1
                }
            }
            for (index, target) in [(1, 0), (2, 1)] where fds[index].revents != 0 {
                let fd = target == 0 ? outFD : errFD
                let count = read(fd, &buffer, buffer.count)
                if count > 0 {
                    if target == 0 {
                        if stdout.count < DeliveryOutcome.maxExcerpt { stdout += buffer[0..<min(count, DeliveryOutcome.maxExcerpt - stdout.count)] }
                    } else if stderr.count < DeliveryOutcome.maxExcerpt {
                        stderr += buffer[0..<min(count, DeliveryOutcome.maxExcerpt - stderr.count)]
                    }
                } else if count == 0 || errno != EINTR {
                    close(fd)
                    if target == 0 { outFD = -1 } else { errFD = -1 }
                }
            }
        }
        for fd in [inputFD, outFD, errFD] where fd >= 0 { close(fd) }
        var status: Int32 = 0
        if !timedOut {
            // Output closed; wait for the exit within what is left of the timeout.
            while true {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid { break }
                if result < 0 && errno != EINTR { break }
                if deadline.timeIntervalSinceNow <= 0 {
                    timedOut = true
                    break
                }
                usleep(2000)
            }
        }
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

private let spawnLock = Mutex(())

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
