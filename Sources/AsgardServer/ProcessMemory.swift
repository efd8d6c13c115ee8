import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the console's heap hands memory back.
enum ProcessMemory {
    /// Makes every block of 1 MiB or more a mapping of its own, given back to the system when
    /// freed. glibc otherwise raises that bound up to 32 MiB as large blocks come and go, and
    /// keeps what they used in its arenas: a 100,000-instance region filled to 1,233 resident
    /// bytes per instance instead of 897, and one list build of its 100,000 records left the
    /// console 415 MB resident. At 128 KiB the fill took a second longer (a fresh mapping, and
    /// its page faults, for every few pages of XML); at 1 MiB it keeps the same memory.
    static func giveLargeBlocksBack() {
        #if canImport(Glibc)
        // mallopt is one of malloc.h's GNU extensions, which Swift's Glibc module leaves out.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias SetOption = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: SetOption.self)
        let mmapThreshold: Int32 = -3
        _ = mallopt(mmapThreshold, 1 << 20)
        #endif
    }
}
