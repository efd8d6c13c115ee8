import AsgardCore
import AsgardStore
import Foundation
import Hummingbird

/// Finds out who a request comes from: an API token in `Authorization: Bearer …`, or a browser
/// session cookie that has not been idle too long.
struct Authenticator: Sendable {
    let store: any AuthStore
    let now: @Sendable () -> Date
    /// How long a browser session may go unused before it ends.
    let sessionIdle: TimeInterval
    /// Whether reads are allowed without signing in.
    let anonymousRead: Bool
    let passwords: PasswordHasher
    let throttle: LoginThrottle

    /// The session cookie's name.
    static let sessionCookie = "asgard_session"

    /// The identity behind the request's credentials.
    ///
    /// - Throws: `ConsoleError` 401 for a bearer token that is unknown, expired or revoked.
    func identify(_ request: Request) async throws -> Identity {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw ConsoleError(.unauthenticated, "The Authorization header must be 'Bearer <token>'")
            }
            let secret = String(parts[1]).trimmingCharacters(in: .whitespaces)
            guard let (user, token) = try await store.tokenOwner(secretHash: Secrets.hash(secret), now: now()) else {
                throw ConsoleError(.unauthenticated, "The API token is not valid: it is unknown, expired or revoked. Create a new one with `asgard token create`")
            }
            return .user(Principal(user: user, session: nil, tokenName: token.name))
        }
        guard let cookie = request.cookies[Authenticator.sessionCookie]?.value, !cookie.isEmpty else {
            return .anonymous(reason: nil)
        }
        let idHash = Secrets.hash(cookie)
        guard let session = try await store.session(idHash: idHash) else {
            return .anonymous(reason: "Your session has ended; sign in again")
        }
        let time = now()
        if time.timeIntervalSince(session.lastSeenTime) > sessionIdle {
            try await store.deleteSession(idHash: idHash)
            return .anonymous(reason: "Your session expired after \(Int(sessionIdle / 60)) minutes without use; sign in again")
        }
        guard let user = try await store.user(named: session.user) else {
            return .anonymous(reason: "Your user no longer exists")
        }
        // Sliding expiry, written at most once a minute to keep reads cheap.
        if time.timeIntervalSince(session.lastSeenTime) > 60 {
            try await store.touchSession(idHash: idHash, at: time)
        }
        return .user(Principal(user: user, session: session, tokenName: nil))
    }

    /// Checks a user's password, with throttling by user and address.
    ///
    /// - Returns: the user.
    /// - Throws: `ConsoleError` 401 for a wrong name or password, 429 when throttled.
    func checkPassword(name: String, password: String, address: String) async throws -> UserRecord {
        if let wait = throttle.begin(name: name, address: address, now: now()) {
            throw ConsoleError(.tooManyRequests, "Too many failed sign-ins for '\(name.trimmingCharacters(in: .whitespacesAndNewlines))' from \(address); try again in \(wait) s")
        }
        if let userName = try? UserName(validating: name),
           let stored = try await store.passwordHash(of: userName),
           passwords.verify(password, against: stored),
           let user = try await store.user(named: userName) {
            throttle.succeeded(name: name, address: address)
            return user
        }
        throw ConsoleError(.unauthenticated, "Wrong user name or password")
    }

    /// Starts a browser session for `user`.
    ///
    /// - Returns: the cookie value (the session id) and the session.
    func startSession(for user: UserName) async throws -> (cookie: String, session: SessionRecord) {
        let id = Secrets.random()
        let time = now()
        let session = SessionRecord(idHash: Secrets.hash(id), user: user, csrfToken: Secrets.random(),
                                    createTime: time, lastSeenTime: time)
        try await store.createSession(session)
        return (id, session)
    }
}
