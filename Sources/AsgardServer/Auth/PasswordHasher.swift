import _CryptoExtras
import Crypto
import Foundation

/// Hashes passwords with PBKDF2-HMAC-SHA256 and a per-user random salt. The stored form
/// `pbkdf2-sha256$ROUNDS$SALT$HASH` carries its parameters, so the cost can rise later without
/// breaking stored hashes.
struct PasswordHasher: Sendable {
    /// The iteration count for new hashes (OWASP's 2023 advice for PBKDF2-SHA256).
    var rounds = 210_000

    /// The stored form of `password`.
    func hash(_ password: String) throws -> String {
        let salt = Secrets.random(bytes: 16)
        return "pbkdf2-sha256$\(rounds)$\(salt)$\(try derive(password, salt: salt, rounds: rounds))"
    }

    /// True when `password` matches `stored`.
    func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds > 0,
              let derived = try? derive(password, salt: parts[2], rounds: rounds) else { return false }
        return Secrets.constantTimeEqual(derived, parts[3])
    }

    private func derive(_ password: String, salt: String, rounds: Int) throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Data(password.utf8), salt: Data(salt.utf8), using: .sha256,
                                                    outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Secrets.base64URL(Data($0)) }
    }
}
