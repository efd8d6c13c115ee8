import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the process's heap hands memory back to the system. Both calls are malloc.h's GNU
/// extensions, which Swift's Glibc module leaves out: they are found at run time, and do
/// nothing where they are not there.
public enum ProcessMemory {
    /// Makes every block of 1 MiB or more a mapping of its own, given back to the system when
    /// freed. glibc otherwise raises that bound up to 32 MiB as large blocks come and go, and
    /// keeps what they used in its arenas: a 100,000-instance region filled to 1,233 resident
    /// bytes per instance instead of 897, and one list build of its 100,000 records left the
    /// console 415 MB resident. At 128 KiB the fill took a second longer (a fresh mapping, and
    /// its page faults, for every few pages of XML); at 1 MiB it keeps the same memory.
    public static func giveLargeBlocksBack() {
        typealias SetOption = @convention(c) (Int32, Int32) -> Int32
        let mmapThreshold: Int32 = -3
        _ = glibc("mallopt", as: SetOption.self).map { $0(mmapThreshold, 1 << 20) }
    }

    /// Returns the allocator's free pages to the system (`malloc_trim`): after work that
    /// allocated much and kept little, such as reading a whole region's answers.
    public static func releaseFreeMemory() {
        typealias Trim = @convention(c) (Int) -> Int32
        _ = glibc("malloc_trim", as: Trim.self).map { $0(0) }
    }

    /// The C function `name` of the C library, nil when there is none.
    static func glibc<Function>(_ name: String, as type: Function.Type) -> Function? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
        #else
        return nil
        #endif
    }
}
