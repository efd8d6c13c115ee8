import Testing
@testable import AsgardCore

@Suite("Process memory")
struct ProcessMemoryTests {
    /// The two C library calls are found by name at run time: a misspelt name would make both
    /// quietly do nothing.
    @Test func theCLibrarysMemoryCallsAreFound() {
        #if canImport(Glibc)
        typealias SetOption = @convention(c) (Int32, Int32) -> Int32
        typealias Trim = @convention(c) (Int) -> Int32
        #expect(ProcessMemory.glibc("mallopt", as: SetOption.self) != nil)
        #expect(ProcessMemory.glibc("malloc_trim", as: Trim.self) != nil)
        #expect(ProcessMemory.glibc("no_such_function", as: Trim.self) == nil)
        #endif
    }
}
