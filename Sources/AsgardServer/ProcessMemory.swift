import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the console's heap hands memory back.
enum ProcessMemory {
    /// Makes every block of 128 KiB or more a mapping of its own, given back to the system when
    /// freed. glibc otherwise raises that bound up to 32 MiB as large blocks come and go, and
    /// keeps what they used in its arenas: answering a 34 MB list from its file in 256 KiB steps
    /// to 16 clients at once left the console 415 MB resident, a whole-region read's pages of
    /// XML the same.
    static func giveLargeBlocksBack() {
        #if canImport(Glibc)
        // mallopt is one of malloc.h's GNU extensions, which Swift's Glibc module leaves out.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias SetOption = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: SetOption.self)
        let mmapThreshold: Int32 = -3
        _ = mallopt(mmapThreshold, 128 << 10)
        #endif
    }
}
