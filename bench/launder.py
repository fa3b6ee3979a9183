"""The benchmark's laundered tier: a submission side rewritten so that neither names nor comments
can carry evidence.

:func:`launder_tree` copies every source file of a tree with

- every comment removed (the grammar's ``comments`` query, so Python docstrings too), a comment
  alone on its lines taking its lines with it; a docstring that is a body's only statement
  becomes ``pass``;
- every internal identifier (the ``identifiers`` query, and the names in C macro bodies, which
  tree-sitter leaves as one opaque token) consistently renamed across the whole tree to a
  meaningless name drawn from shake_256(seed, name): letters and digits of the same length,
  keeping the leading underscores and sigils (``_``, ``$``, ``#``) and the case of the first
  letter (Haskell and OCaml constructors and modules, Go exported names), never a keyword of
  the grammar nor a kept name. The length is kept because tree-sitter's error recovery weighs
  skipped bytes: longer names made already-broken C (code behind macros) parse worse;
- names that are not internal left alone: reserved words that grammars capture as identifiers,
  names the language or its standard library predefines (printf, len, println, ...), names
  brought in by imports from outside the tree, and members reached through such a name
  (``fmt.Println``, ``os.path.join``, ``List.map``). Renaming those would not hide anything the
  submitter chose, and would break the program's link to its libraries, which no real
  launderer can afford. A name is one decision for the whole tree: if it is external anywhere
  (``fmt`` the package, ``fmt`` the Display method), it is kept everywhere.

String literals are never entered (identifiers inside f-string and template interpolations are
code and are renamed). File names are left as they are. Everything is derived from the input and
the seed, so the output is the same bytes on every run.

The output parses as the input did; it is not guaranteed to build: without types, a method
called on a value of a library type (``bits.cardinality()``) is renamed unless the language's
list of common standard methods has it, and names that code reaches through strings (Rust's
``format!("{x}")``, token pasting in C macros) are not followed.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter as ts

from memaudit.core import SourceFile
from memaudit.discover import discover
from memaudit.parse import _parser, load_grammar

__all__ = ["FileStats", "LaunderStats", "launder_tree", "launder_bytes"]


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class FileStats:
    """One laundered file."""

    path: str
    language: str
    #: Identifier occurrences renamed and kept.
    renamed: int
    kept: int
    #: Comments (and docstrings) removed.
    comments: int
    #: tree-sitter ERROR and MISSING nodes of the file before and after laundering.
    errors_before: int
    errors_after: int


@dataclass(frozen=True)
class LaunderStats:
    """What :func:`launder_tree` did."""

    files: int
    #: Distinct names renamed and their occurrences.
    renamed_distinct: int
    renamed_occurrences: int
    #: Distinct names kept (not internal) and their occurrences.
    kept_distinct: int
    kept_occurrences: int
    comments_removed: int
    per_file: tuple[FileStats, ...]
    #: The renaming: name (lower-cased for case-insensitive Ada) -> the new name's body, lower-case
    #: (the occurrence's sigils and leading underscores go before it, and its initial's case).
    names: dict[str, str] = field(repr=False)
    #: The names left alone.
    kept: frozenset[str] = field(repr=False)

    @property
    def errors_before(self) -> int:
        return sum(f.errors_before for f in self.per_file)

    @property
    def errors_after(self) -> int:
        return sum(f.errors_after for f in self.per_file)

    def summary(self) -> dict:
        """A JSON-able digest (no name lists)."""
        return {
            "files": self.files, "renamed_distinct": self.renamed_distinct,
            "renamed_occurrences": self.renamed_occurrences, "kept_distinct": self.kept_distinct,
            "kept_occurrences": self.kept_occurrences, "comments_removed": self.comments_removed,
            "errors_before": self.errors_before, "errors_after": self.errors_after,
        }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# What each language keeps


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_C_KEEP = _words("""
    size_t ssize_t ptrdiff_t intptr_t uintptr_t intmax_t uintmax_t int8_t int16_t int32_t int64_t
    uint8_t uint16_t uint32_t uint64_t wchar_t wint_t char16_t char32_t bool FILE fpos_t va_list
    jmp_buf sig_atomic_t time_t clock_t tm timespec timeval div_t ldiv_t lldiv_t off_t pid_t mode_t
    dev_t ino_t uid_t gid_t max_align_t mbstate_t locale_t DIR dirent pthread_t pthread_mutex_t
    NULL EOF true false BUFSIZ FILENAME_MAX FOPEN_MAX SEEK_SET SEEK_CUR SEEK_END EXIT_SUCCESS
    EXIT_FAILURE RAND_MAX CHAR_BIT CHAR_MAX CHAR_MIN SCHAR_MAX SCHAR_MIN UCHAR_MAX SHRT_MAX SHRT_MIN
    USHRT_MAX INT_MAX INT_MIN UINT_MAX LONG_MAX LONG_MIN ULONG_MAX LLONG_MAX LLONG_MIN ULLONG_MAX
    SIZE_MAX INT8_MAX INT8_MIN INT16_MAX INT16_MIN INT32_MAX INT32_MIN INT64_MAX INT64_MIN UINT8_MAX
    UINT16_MAX UINT32_MAX UINT64_MAX INTPTR_MAX UINTPTR_MAX PTRDIFF_MAX DBL_MAX DBL_MIN DBL_EPSILON
    DBL_DIG DBL_MANT_DIG FLT_MAX FLT_MIN FLT_EPSILON HUGE_VAL HUGE_VALF INFINITY NAN M_PI M_E
    M_LN2 M_SQRT2 errno stdin stdout stderr EINTR EAGAIN ENOENT ENOMEM EINVAL ERANGE EDOM EEXIST
    EACCES EBADF EPIPE EIO ENOSPC SIGINT SIGTERM SIGSEGV SIGABRT SIGPIPE SIGHUP SIGALRM SIGCHLD
    SIG_DFL SIG_IGN O_RDONLY O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND O_EXCL O_BINARY STDIN_FILENO
    STDOUT_FILENO STDERR_FILENO _IOFBF _IOLBF _IONBF CLOCKS_PER_SEC LC_ALL LC_CTYPE LC_NUMERIC
    assert offsetof va_start va_end va_arg va_copy setjmp longjmp static_assert alignof alignas
    noreturn main argc argv
    printf fprintf sprintf snprintf vprintf vfprintf vsprintf vsnprintf scanf fscanf sscanf fopen
    freopen fdopen fclose fflush fread fwrite fgetc fgets fputc fputs getc getchar gets putc
    putchar puts ungetc fseek ftell fseeko ftello rewind fgetpos fsetpos feof ferror clearerr
    perror remove rename tmpfile tmpnam setbuf setvbuf fileno popen pclose getline getdelim dprintf
    asprintf vasprintf
    malloc calloc realloc free abort exit atexit _Exit quick_exit getenv setenv unsetenv putenv
    system atoi atol atoll atof strtol strtoul strtoll strtoull strtod strtof strtold strtoimax
    strtoumax rand srand random srandom qsort bsearch abs labs llabs div ldiv aligned_alloc
    posix_memalign mblen mbtowc wctomb mbstowcs wcstombs mbrtowc wcrtomb realpath mkstemp mktemp
    memcpy memmove memset memcmp memchr memrchr memmem strcpy strncpy strcat strncat strcmp strncmp
    strcoll strxfrm strchr strrchr strstr strspn strcspn strpbrk strtok strtok_r strlen strnlen
    strerror strdup strndup strcasecmp strncasecmp strsep strlcpy strlcat bzero bcopy
    isalnum isalpha isblank iscntrl isdigit isgraph islower isprint ispunct isspace isupper
    isxdigit tolower toupper isascii
    sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp exp2 expm1 log log2 log10
    log1p pow sqrt cbrt hypot ceil floor fabs fmod frexp ldexp modf round lround llround trunc rint
    lrint nearbyint fmin fmax fma fdim copysign nan isnan isinf isfinite isnormal signbit fpclassify
    erf erfc tgamma lgamma remainder remquo scalbn scalbln ilogb logb nextafter nexttoward
    sinf cosf tanf sqrtf powf fabsf floorf ceilf expf logf roundf truncf fmodf
    time clock difftime mktime strftime strptime gmtime localtime gmtime_r localtime_r asctime
    ctime nanosleep gettimeofday clock_gettime sleep usleep signal raise sigaction kill
    open close read write lseek unlink access stat fstat lstat mkdir rmdir chdir getcwd getpid
    getppid fork execv execvp execl execlp waitpid wait pipe dup dup2 isatty opendir readdir
    closedir mmap munmap ioctl fcntl getopt optarg optind opterr optopt setlocale localeconv
    wcslen wcscpy wcscmp wcsncmp wprintf fwprintf swprintf iswalpha iswdigit iswspace towlower
    towupper
""")

# Names of namespace std: kept when reached through std:: (or a using declaration), and
# everywhere when the tree says `using namespace std`.
_CPP_STD = _words("""
    string wstring string_view u8string vector map unordered_map set unordered_set multimap
    multiset list forward_list deque queue priority_queue stack array pair tuple optional variant
    any function bitset shared_ptr unique_ptr weak_ptr make_shared make_unique make_pair make_tuple
    move forward swap min max minmax clamp sort stable_sort partial_sort nth_element find_if
    find_if_not count_if copy copy_if copy_n transform accumulate reduce fill fill_n reverse
    unique remove_if lower_bound upper_bound equal_range binary_search all_of any_of none_of
    for_each iota distance advance prev back_inserter inserter cout cin cerr clog endl flush
    getline ostream istream iostream ostringstream istringstream stringstream ifstream ofstream
    fstream exception runtime_error logic_error invalid_argument out_of_range overflow_error
    underflow_error range_error domain_error length_error bad_alloc bad_cast to_string
    to_wstring stoi stol stoll stoul stoull stof stod stold numeric_limits is_same enable_if
    enable_if_t decay_t remove_reference conditional chrono thread mutex lock_guard unique_lock
    scoped_lock atomic condition_variable ios ios_base setw setprecision setfill fixed
    scientific hex dec oct boolalpha regex regex_match regex_search smatch initializer_list hash
    less greater equal_to plus minus abs
""")

# Members of the standard containers, strings and streams, called on the program's own objects.
_CPP_KEEP = _C_KEEP | _words("""
    std begin end cbegin cend rbegin rend crbegin crend size empty push_back pop_back emplace_back push_front pop_front
    emplace_front emplace insert erase clear front back top push pop at data substr c_str length
    append reserve resize capacity shrink_to_fit first second get reset release contains
    value_or has_value what npos size_type value_type iterator const_iterator reverse_iterator
    difference_type nullptr_t static_cast dynamic_cast reinterpret_cast const_cast override final
    operator compare starts_with ends_with find find_first_of find_last_of rfind count str
""")

_GO_KEEP = _words("""
    bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string
    uint uint8 uint16 uint32 uint64 uintptr any comparable true false iota nil append cap clear
    close complex copy delete imag len make max min new panic print println real recover main init
    Error String GoString Format Len Less Swap Read Write Close Seek ReadByte WriteByte ReadRune
    UnreadRune UnreadByte WriteRune WriteString ReadFrom WriteTo ServeHTTP Unwrap Is As
    MarshalJSON UnmarshalJSON MarshalText UnmarshalText MarshalYAML UnmarshalYAML Lock Unlock RLock
    RUnlock Wait Add Done Errorf Fatalf Fatal Helper Run Logf Log Skip Cleanup Parallel
""")

_PYTHON_BUILTINS = _words("""
    abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod
    compile complex copyright credits delattr dict dir divmod enumerate eval exit filter float
    format frozenset getattr globals hasattr hash help hex id input int isinstance issubclass iter
    len license list locals map max memoryview min next object oct open ord pow property quit
    range repr reversed round set setattr slice sorted staticmethod str sum super tuple vars zip
    NotImplemented Ellipsis BaseException BaseExceptionGroup Exception ExceptionGroup
    ArithmeticError AssertionError AttributeError BlockingIOError BrokenPipeError BufferError
    ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError
    ConnectionResetError EOFError EnvironmentError FileExistsError FileNotFoundError
    FloatingPointError GeneratorExit IOError ImportError IndentationError IndexError
    InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError
    ModuleNotFoundError NameError NotADirectoryError NotImplementedError OSError OverflowError
    PermissionError ProcessLookupError RecursionError ReferenceError RuntimeError StopIteration
    StopAsyncIteration SyntaxError SystemError SystemExit TabError TimeoutError TypeError
    UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError
    ValueError ZeroDivisionError Warning UserWarning DeprecationWarning PendingDeprecationWarning
    SyntaxWarning RuntimeWarning FutureWarning ImportWarning UnicodeWarning BytesWarning
    ResourceWarning EncodingWarning
""")

# The special names of the data model, module and class attributes (a program's own __x__
# names are renamed like any other).
_PYTHON_DUNDERS = _words("""
    __abs__ __abstractmethods__ __add__ __aenter__ __aexit__ __aiter__ __all__ __alloc__ __and__
    __anext__ __annotations__ __author__ __await__ __base__ __bases__ __basicsize__ __bool__
    __builtins__ __bytes__ __cached__ __call__ __cause__ __ceil__ __class__ __class_getitem__
    __closure__ __code__ __complex__ __contains__ __context__ __copy__ __dataclass_fields__
    __debug__ __deepcopy__ __defaults__ __del__ __delattr__ __delete__ __delitem__ __dict__
    __dictoffset__ __dir__ __divmod__ __doc__ __enter__ __eq__ __exit__ __file__ __flags__ __float__
    __floor__ __floordiv__ __format__ __fspath__ __func__ __future__ __ge__ __get__ __getattr__
    __getattribute__ __getformat__ __getitem__ __getnewargs__ __getnewargs_ex__ __getstate__
    __globals__ __gt__ __hash__ __iadd__ __iand__ __import__ __imul__ __index__ __init__
    __init_subclass__ __instancecheck__ __int__ __invert__ __ior__ __isabstractmethod__ __isub__
    __itemsize__ __iter__ __ixor__ __kwdefaults__ __le__ __len__ __length_hint__ __loader__
    __lshift__ __lt__ __main__ __match_args__ __missing__ __mod__ __module__ __mro__ __mul__
    __name__ __ne__ __neg__ __new__ __next__ __or__ __package__ __path__ __pos__ __post_init__
    __pow__ __prepare__ __qualname__ __radd__ __rand__ __rdivmod__ __reduce__ __reduce_ex__ __repr__
    __reversed__ __rfloordiv__ __rlshift__ __rmod__ __rmul__ __ror__ __round__ __rpow__ __rrshift__
    __rshift__ __rsub__ __rtruediv__ __rxor__ __self__ __self_class__ __set__ __set_name__
    __setattr__ __setitem__ __setstate__ __sizeof__ __slots__ __spec__ __str__ __sub__
    __subclasscheck__ __subclasses__ __subclasshook__ __suppress_context__ __text_signature__
    __thisclass__ __traceback__ __truediv__ __trunc__ __version__ __weakref__ __weakrefoffset__
    __wrapped__ __xor__ __matmul__ __rmatmul__ __imatmul__ __ifloordiv__ __itruediv__ __imod__
    __ipow__ __ilshift__ __irshift__ __class_getitem__ __type_params__
""")

_PYTHON_KEEP = _PYTHON_BUILTINS | _PYTHON_DUNDERS | _words("""
    match case type _ print exec self cls
    append extend insert remove pop clear index count sort reverse copy keys values items get
    setdefault update popitem fromkeys add discard union intersection difference
    symmetric_difference issubset issuperset isdisjoint join split rsplit splitlines strip lstrip
    rstrip startswith endswith find rfind rindex replace lower upper title capitalize casefold
    swapcase format_map encode decode isdigit isalpha isalnum isspace isupper islower istitle
    isnumeric isdecimal isidentifier isprintable isascii zfill center ljust rjust partition
    rpartition translate maketrans expandtabs removeprefix removesuffix read write readline
    readlines writelines close flush seek tell fileno readable writable seekable truncate
    real imag conjugate bit_length to_bytes from_bytes is_integer as_integer_ratio
""")

_RUST_KEEP = _words("""
    Self self static union default macro_rules async await dyn try crate super abstract become box
    do final macro override priv typeof unsized virtual yield gen safe raw
    Option Some None Result Ok Err Vec String Box ToString ToOwned Clone Copy Send Sync Sized Unpin
    Drop Fn FnMut FnOnce Iterator IntoIterator DoubleEndedIterator ExactSizeIterator Extend
    FromIterator Default Debug Display PartialEq Eq PartialOrd Ord Hash AsRef AsMut Into From
    TryFrom TryInto Ordering Less Equal Greater Rc Arc RefCell Cell Mutex RwLock Cow PhantomData
    HashMap HashSet BTreeMap BTreeSet VecDeque BinaryHeap Formatter Write Read Error
    std core alloc drop main
    println print eprintln eprint format write writeln panic assert assert_eq assert_ne
    debug_assert debug_assert_eq debug_assert_ne vec unreachable unimplemented todo matches concat
    stringify include include_str include_bytes env option_env cfg line column file module_path
    dbg format_args compile_error thread_local
    new with_capacity clone to_string to_owned as_str as_ref as_mut as_slice as_bytes unwrap expect
    unwrap_or unwrap_or_else unwrap_or_default unwrap_err expect_err ok err ok_or ok_or_else map
    map_err map_or map_or_else and_then or_else is_some is_none is_ok is_err iter iter_mut
    into_iter collect len is_empty push pop insert remove get get_mut contains contains_key keys
    values values_mut entry or_insert or_insert_with or_default extend truncate clear sort
    sort_by sort_by_key sort_unstable sort_unstable_by dedup reverse chars char_indices bytes lines
    split split_whitespace splitn trim trim_start trim_end starts_with ends_with find rfind replace
    parse to_lowercase to_uppercase to_ascii_lowercase to_ascii_uppercase capacity first last
    enumerate zip filter filter_map fold any all count sum product max min max_by min_by max_by_key
    min_by_key take skip take_while skip_while rev peekable peek next next_back nth chain cloned
    copied flat_map flatten position step_by windows chunks join concat fmt write_str write_fmt
    from into try_from try_into eq ne cmp partial_cmp lt le gt ge hash borrow borrow_mut deref
    deref_mut as_ptr abs pow powi powf sqrt floor ceil round trunc wrapping_add wrapping_sub
    wrapping_mul wrapping_shl wrapping_shr checked_add checked_sub checked_mul checked_div
    saturating_add saturating_sub overflowing_add to_vec retain drain swap split_at split_off
    replace take is_ascii_digit is_ascii_alphabetic is_ascii_alphanumeric is_ascii_whitespace
    is_alphabetic is_alphanumeric is_numeric is_whitespace is_digit to_digit from_u32
    from_str_radix from_utf8 to_le_bytes to_be_bytes from_le_bytes from_be_bytes copy_from_slice
    extend_from_slice resize fill last_mut first_mut get_unchecked read write flush
    read_to_string read_line lock stdin stdout stderr args exit Item Output Target IntoIter
    count_ones count_zeros leading_zeros trailing_zeros rem_euclid div_euclid rotate_left
    rotate_right swap_bytes min_value max_value MAX MIN BITS signum is_positive is_negative
""")

_JS_KEEP = _words("""
    get set static async of let yield await arguments undefined NaN Infinity eval constructor
    prototype __proto__ globalThis main
    Object Array String Number Boolean Symbol BigInt Math JSON Date RegExp Error TypeError
    RangeError SyntaxError ReferenceError EvalError URIError AggregateError Promise Map Set WeakMap
    WeakSet WeakRef Proxy Reflect ArrayBuffer SharedArrayBuffer DataView Int8Array Uint8Array
    Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float32Array Float64Array
    BigInt64Array BigUint64Array Intl Atomics parseInt parseFloat isNaN isFinite
    encodeURIComponent decodeURIComponent encodeURI decodeURI escape unescape setTimeout
    clearTimeout setInterval clearInterval setImmediate clearImmediate queueMicrotask
    structuredClone console process require module exports __dirname __filename Buffer global
    window document navigator self TextEncoder TextDecoder URL URLSearchParams fetch atob btoa
    length push pop shift unshift slice splice concat join reverse sort indexOf lastIndexOf
    includes find findIndex findLast findLastIndex filter map reduce reduceRight forEach some
    every flat flatMap fill copyWithin keys values entries from isArray has get delete clear size
    add then catch finally resolve reject all race allSettled any toString toFixed toPrecision
    toExponential valueOf charAt charCodeAt codePointAt fromCharCode fromCodePoint substring
    substr split trim trimStart trimEnd trimLeft trimRight padStart padEnd startsWith endsWith
    repeat replace replaceAll match matchAll search toLowerCase toUpperCase localeCompare
    normalize at test exec lastIndex source flags apply call bind assign freeze isFrozen seal
    create defineProperty defineProperties getOwnPropertyNames getOwnPropertyDescriptor
    getPrototypeOf setPrototypeOf hasOwnProperty hasOwn isPrototypeOf propertyIsEnumerable
    message cause subarray buffer byteLength byteOffset getTime toISOString getFullYear getMonth
    getDate getDay getHours getMinutes getSeconds done next return throw
""")

_TS_KEEP = _JS_KEEP | _words("""
    Record Partial Required Readonly Pick Omit Exclude Extract NonNullable ReturnType Parameters
    ConstructorParameters InstanceType Awaited Iterable Iterator IterableIterator Generator
    AsyncGenerator AsyncIterable AsyncIterator PromiseLike ArrayLike ReadonlyArray ReadonlyMap
    ReadonlySet PropertyKey Uppercase Lowercase Capitalize Uncapitalize ThisType declare namespace
    type readonly abstract keyof infer is asserts satisfies override accessor unique
""")

_JAVA_KEEP = _words("""
    var record yield sealed permits when module open requires exports opens to uses provides with
    transitive main
    Object String StringBuilder StringBuffer Math StrictMath System Integer Long Short Byte Double
    Float Character Boolean Number Void Class Thread Runnable Iterable Comparable CharSequence
    Enum Record Exception RuntimeException Error Throwable IllegalArgumentException
    IllegalStateException NullPointerException IndexOutOfBoundsException
    ArrayIndexOutOfBoundsException StringIndexOutOfBoundsException ArithmeticException
    NumberFormatException UnsupportedOperationException ClassCastException InterruptedException
    CloneNotSupportedException AutoCloseable Override Deprecated SuppressWarnings
    FunctionalInterface SafeVarargs Cloneable
    List ArrayList LinkedList Map HashMap LinkedHashMap TreeMap SortedMap NavigableMap Set HashSet
    LinkedHashSet TreeSet SortedSet Deque ArrayDeque Queue PriorityQueue Stack Vector Iterator
    ListIterator Collections Arrays Objects Optional OptionalInt Scanner Random Collection
    Comparator NoSuchElementException StringJoiner Entry EnumMap EnumSet BitSet Locale UUID
    ConcurrentModificationException
    Function BiFunction Supplier Consumer BiConsumer Predicate BiPredicate UnaryOperator
    BinaryOperator DoubleBinaryOperator IntBinaryOperator LongBinaryOperator DoubleUnaryOperator
    IntUnaryOperator IntPredicate IntFunction ToIntFunction ToDoubleFunction
    IOException UncheckedIOException FileNotFoundException File InputStream OutputStream Reader
    Writer BufferedReader BufferedWriter InputStreamReader OutputStreamWriter PrintStream
    PrintWriter FileReader FileWriter Files Path Paths StandardCharsets Stream Collectors
    IntStream LongStream DoubleStream BigInteger BigDecimal Pattern Matcher
    out err in println print printf format length charAt substring indexOf lastIndexOf equals
    equalsIgnoreCase hashCode toString compareTo compare isEmpty isBlank size get put putAll add
    remove contains containsKey containsValue getOrDefault putIfAbsent computeIfAbsent
    computeIfPresent merge keySet values entrySet getKey getValue setValue push pop peek poll
    offer offerFirst offerLast pollFirst pollLast peekFirst peekLast addFirst addLast removeFirst
    removeLast getFirst getLast clear addAll removeAll retainAll iterator hasNext next stream map
    filter collect toList toSet toMap joining groupingBy forEach reduce sum count sorted distinct
    limit mapToInt mapToObj boxed of ofNullable asList sort valueOf parseInt parseDouble
    parseLong parseBoolean isDigit isLetter isLetterOrDigit isWhitespace isUpperCase isLowerCase
    toUpperCase toLowerCase toCharArray chars trim strip split startsWith endsWith replace
    replaceAll matches append insert reverse setLength deleteCharAt max min abs pow sqrt floor
    ceil round exit getMessage getCause printStackTrace apply applyAsDouble applyAsInt
    applyAsLong accept test run call close read write readLine isPresent orElse orElseThrow
    ifPresent getClass getName getSimpleName currentTimeMillis nanoTime arraycopy
    requireNonNull unmodifiableList emptyList singletonList nextInt nextLine nextDouble
    hasNextLine hasNextInt ordinal values AtomicInteger AtomicLong incrementAndGet getAndIncrement
    decrementAndGet addAndGet cardinality nextSetBit nextClearBit flip
""")

_HASKELL_KEEP = _words("""
    as qualified hiding forall family role pattern stock anyclass via main
    Bool True False Char Double Float Int Integer Word String Maybe Just Nothing Either Left Right
    Ordering LT EQ GT IO IOError Rational Show Read Eq Ord Enum Bounded Num Real Integral
    Fractional Floating RealFrac RealFloat Functor Applicative Monad MonadFail Foldable
    Traversable Semigroup Monoid ShowS ReadS FilePath
    map filter foldr foldl foldr1 foldl1 sum product maximum minimum length null elem notElem head
    last tail init reverse concat concatMap and or any all iterate repeat replicate cycle take drop
    splitAt takeWhile dropWhile span break lines words unlines unwords zip zip3 zipWith zipWith3
    unzip unzip3 lookup fst snd curry uncurry id const flip until asTypeOf error
    errorWithoutStackTrace undefined seq show shows showString showParen showsPrec read reads
    readsPrec readParen lex print putStr putStrLn putChar getLine getContents getChar interact
    readFile writeFile appendFile readIO readLn ioError userError return pure fmap mapM mapM_
    sequence sequence_ traverse traverse_ sequenceA foldMap mempty mappend mconcat not otherwise
    maybe either subtract even odd gcd lcm fromIntegral realToFrac toInteger toRational
    fromInteger fromRational truncate round ceiling floor div mod quot rem divMod quotRem abs
    signum negate recip pi exp log sqrt sin cos tan asin acos atan sinh cosh tanh atan2 logBase
    isNaN isInfinite properFraction succ pred toEnum fromEnum enumFrom enumFromTo enumFromThen
    enumFromThenTo minBound maxBound compare max min fail scanl scanl1 scanr scanr1
    isDigit isAlpha isAlphaNum isSpace isUpper isLower isPunctuation isLetter isHexDigit
    isOctDigit toUpper toLower ord chr digitToInt intToDigit
    sort sortBy sortOn nub nubBy group groupBy intercalate intersperse transpose partition
    isPrefixOf isSuffixOf isInfixOf foldl' find findIndex elemIndex elemIndices stripPrefix insert
    delete union intersect tails inits genericLength unfoldr zip4 lookup
    fromMaybe mapMaybe catMaybes isJust isNothing fromJust maybeToList listToMaybe
    forM forM_ when unless foldM foldM_ replicateM replicateM_ forever void liftM liftM2 join
    guard mplus mzero zipWithM zipWithM_ filterM liftA2 on comparing first second
    hPutStrLn hPutStr hPrint hFlush hGetLine hGetContents hClose hIsEOF isEOF stdin stdout stderr
    hSetBuffering BufferMode NoBuffering LineBuffering BlockBuffering Handle withFile IOMode
    ReadMode WriteMode AppendMode exitWith exitFailure exitSuccess ExitCode ExitSuccess
    ExitFailure getArgs getProgName lookupEnv printf hPrintf newIORef readIORef writeIORef
    modifyIORef modifyIORef' IORef
""")

_OCAML_KEEP = _words("""
    Stdlib List Array String Bytes Char Hashtbl Map Set Printf Format Scanf Buffer Sys Printexc
    Option Result Seq Stack Queue Int Float Int32 Int64 Fun Lazy Random Filename Unix Arg Lexing
    Parsing Obj Gc Bool Uchar Either In_channel Out_channel Make
    print_string print_endline print_int print_float print_char print_newline print_bytes
    prerr_string prerr_endline prerr_int prerr_float prerr_char prerr_newline read_line read_int
    read_float string_of_int int_of_string int_of_string_opt string_of_float float_of_string
    float_of_string_opt float_of_int int_of_float truncate float int_of_char char_of_int
    string_of_bool bool_of_string failwith invalid_arg raise raise_notrace not fst snd ignore ref
    incr decr exit at_exit min max compare abs succ pred sqrt exp log floor ceil max_int min_int
    infinity neg_infinity nan epsilon_float max_float min_float mod_float stdout stderr stdin
    output_string flush open_in open_out close_in close_out input_line printf sprintf eprintf
    fprintf bprintf ksprintf
    int float string char bool unit list array option result exn bytes format Some None Ok Error
    true false Not_found Failure Invalid_argument Exit End_of_file Division_by_zero Sys_error
    Stack_overflow Out_of_memory Match_failure Assert_failure
""")

# Ada is case-insensitive: kept names are compared lower-cased.
_ADA_KEEP = frozenset(w.lower() for w in _words("""
    Standard Ada Interfaces System GNAT ASCII Integer Natural Positive Float Long_Float
    Long_Long_Float Short_Float Long_Integer Long_Long_Integer Short_Integer Short_Short_Integer
    Character Wide_Character Wide_Wide_Character String Wide_String Wide_Wide_String Boolean True
    False Duration Constraint_Error Program_Error Storage_Error Tasking_Error Numeric_Error NUL LF
    CR HT FF VT BS ESC DEL
    Text_IO Integer_Text_IO Float_Text_IO Long_Float_Text_IO Strings Unbounded Bounded Fixed Maps
    Characters Handling Latin_1 Containers Vectors Hashed_Maps Ordered_Maps Hashed_Sets
    Ordered_Sets Indefinite_Vectors Indefinite_Hashed_Maps Indefinite_Ordered_Maps
    Doubly_Linked_Lists Hash Command_Line Exceptions Numerics Elementary_Functions
    Long_Elementary_Functions Float_Random Discrete_Random Calendar Unchecked_Deallocation
    Unchecked_Conversion Finalization Streams IO_Exceptions Direct_IO Sequential_IO Environment_Variables
    Put Put_Line Get Get_Line New_Line Skip_Line End_Of_File End_Of_Line Standard_Output
    Standard_Error Standard_Input Current_Output Current_Error Current_Input Set_Output Set_Error
    File_Type Open Close Create Delete Reset Is_Open Mode In_File Out_File Append_File Argument
    Argument_Count Command_Name Set_Exit_Status Exit_Status Success Failure Exception_Message
    Exception_Name Exception_Information Raise_Exception Reraise_Occurrence Exception_Occurrence
    To_Unbounded_String To_String Unbounded_String Null_Unbounded_String Length Element Append
    Prepend Insert Replace_Element First_Element Last_Element First_Index Last_Index Delete_Last
    Delete_First Is_Empty Contains Find Include Exclude Clear Key Has_Element Cursor No_Element
    Iterate Reverse_Elements Generic_Sorting Sort Vector Map List Empty_Vector Empty_Map Count_Type
    Extended_Index Index_Type Element_Type Key_Type Equivalent_Keys Equivalent_Elements Trim Both
    Left Right Head Tail Index Count Translate To_Upper To_Lower Is_Digit Is_Letter
    Is_Alphanumeric Is_Upper Is_Lower Is_Graphic Is_Control Is_Special Sqrt Log Exp Sin Cos Tan
    Arctan Pi Item Fore Aft Width Base Source Side Pattern Going From Through Drop Justify Pad
    Clock Time Seconds Split Image Value Slice Overwrite Free Generator Random Uniform
"""))

_RECEIVERS = frozenset({"self", "cls", "this", "super", "Self"})


@dataclass(frozen=True)
class _Rules:
    """How one language's external names are found."""

    keep: frozenset[str]
    #: Kept names that also make their members external (modules, namespaces, classes).
    roots: frozenset[str] = frozenset()
    #: (node kind, object field, member field): the member is external when the object's leftmost
    #: name is; None means the first (object) or last (member) named child.
    members: tuple[tuple[str, str | None, str | None], ...] = ()
    #: Node kinds whose identifiers are all kept (attributes, pragmas, attribute designators).
    inside: tuple[str, ...] = ()
    case_insensitive: bool = False
    #: A block comment spanning lines, removed mid-line, leaves a newline (semicolon insertion).
    newline_significant: bool = False
    imports: Callable[[_Src, _Index], Iterable[tuple[str, bool, bool]]] | None = None
    #: Named arguments of a kept callee are kept: (argument node kind, name field or None).
    kwargs: tuple[tuple[str, str | None], ...] = ()


# ---------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class _Span:
    """A name or comment that tree-sitter leaves inside an opaque token: a C macro body."""

    start_byte: int
    end_byte: int
    type: str
    parent: None = None


_Item = ts.Node | _Span


@dataclass
class _Src:
    file: SourceFile
    data: bytes
    tree: ts.Tree
    ids: list[_Item]
    comments: list[_Item]
    strings: list[_Item]
    keys: list[str]
    starts: list[int] = field(default_factory=list)

    def text(self, node: _Item) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")


_INTERPOLATIONS = frozenset({"interpolation", "template_substitution"})


# The text of a C/C++ macro body (preproc_arg) is one token to tree-sitter: its names and
# comments are found by lexing it.
_PP_TOKEN = re.compile(
    rb"""(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>(?:u8|[LuU])?(?:"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?))
    |(?P<number>\.?[0-9](?:[eEpP][+-]|[\w.])*)
    |(?P<ident>[A-Za-z_\x80-\xff][\w\x80-\xff]*)""",
    re.X | re.S,
)


_MACRO_QUERIES: dict[str, ts.Query] = {}


def _macro_bodies(tree: ts.Tree, data: bytes, language: str) -> tuple[list[_Span], list[_Span]]:
    ids: list[_Span] = []
    comments: list[_Span] = []
    if language not in ("c", "cpp"):
        return ids, comments
    if language not in _MACRO_QUERIES:
        _MACRO_QUERIES[language] = ts.Query(load_grammar(language).language, "(preproc_arg) @arg")
    reserved = {w.encode() for w in _keywords(language) | _PRIMITIVES}
    for arg in ts.QueryCursor(_MACRO_QUERIES[language]).captures(tree.root_node).get("arg", []):
        for m in _PP_TOKEN.finditer(data, arg.start_byte, arg.end_byte):
            if m.lastgroup == "ident" and m.group() not in reserved:
                ids.append(_Span(m.start(), m.end(), "preproc_identifier"))
            elif m.lastgroup == "comment":
                comments.append(_Span(m.start(), m.end(), "preproc_comment"))
    return ids, comments


def _load(file: SourceFile, data: bytes) -> _Src:
    grammar = load_grammar(file.language)
    tree = _parser(file.language).parse(data)
    caps = ts.QueryCursor(grammar.queries["texts"]).captures(tree.root_node)
    macro_ids, macro_comments = _macro_bodies(tree, data, file.language)
    comments = _unique([*caps.get("comment", []), *macro_comments])
    strings = _unique(caps.get("string", []))
    spans = ([c.start_byte for c in comments], comments), ([s.start_byte for s in strings], strings)
    ids = [n for n in _unique(caps.get("identifier", [])) if not _in_literal(n, spans)]
    ids = _unique([*ids, *(n for n in macro_ids if not _in_literal(n, spans[:1]))])
    src = _Src(file, data, tree, ids, comments, strings, [], [n.start_byte for n in ids])
    fold = _RULES[file.language].case_insensitive
    src.keys = [src.text(n).lower() if fold else src.text(n) for n in ids]
    return src


def _unique(nodes: Iterable[_Item]) -> list[_Item]:
    seen: dict[tuple[int, int], _Item] = {}
    for n in nodes:
        seen.setdefault((n.start_byte, n.end_byte), n)
    return [seen[k] for k in sorted(seen)]


def _in_literal(node: _Item, spans: tuple[tuple[list[int], list[_Item]], ...]) -> bool:
    """Inside a comment, or inside a string literal but not in an interpolation (the first spans
    are the comments, the second the strings)."""
    for which, (starts, nodes) in enumerate(spans):
        i = bisect.bisect_right(starts, node.start_byte) - 1
        if i >= 0 and nodes[i].end_byte >= node.end_byte:
            if which == 0:
                return True
            up = node.parent
            while up is not None and up.start_byte >= nodes[i].start_byte and up != nodes[i]:
                if up.type in _INTERPOLATIONS:
                    return False
                up = up.parent
            return True
    return False


def _errors(tree: ts.Tree) -> int:
    """ERROR and MISSING nodes."""
    count = 0
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node is not None and (node.is_error or node.is_missing):
            count += 1
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return count


_QUERIES: dict[tuple[str, tuple[str, ...]], ts.Query | None] = {}


def _find(src: _Src, kinds: Iterable[str]) -> list[ts.Node]:
    """Every node of these kinds (the kinds the grammar has), in source order."""
    key = (src.file.language, tuple(sorted(set(kinds))))
    if key not in _QUERIES:
        language = load_grammar(src.file.language).language
        known = [k for k in key[1] if language.id_for_node_kind(k, True) is not None]
        _QUERIES[key] = ts.Query(language, " ".join(f"({k}) @n" for k in known)) if known else None
    query = _QUERIES[key]
    if query is None:
        return []
    nodes = ts.QueryCursor(query).captures(src.tree.root_node).get("n", [])
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def _leftmost(node: ts.Node) -> ts.Node:
    while node.named_child_count:
        node = node.named_children[0]
    return node


# ---------------------------------------------------------------------------------------------
# Comments


def _rewrite(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply non-overlapping (start, end, replacement) edits; an edit overlapping an earlier one
    is dropped."""
    out, pos = [], 0
    for start, end, text in sorted(edits):
        if start < pos:
            continue
        out.append(data[pos:start])
        out.append(text)
        pos = end
    out.append(data[pos:])
    return b"".join(out)


_BLANK = b" \t\r\f\v"


def _docstring_needs_pass(node: ts.Node) -> bool:
    """A Python docstring that is its body's only statement: removing it would empty the body."""
    stmt = node.parent
    body = stmt.parent if stmt is not None else None
    if stmt is None or body is None or body.type == "module":
        return False
    return not any(c.is_named and c != stmt and c.type != "comment" for c in body.children)


def _comment_edits(src: _Src) -> list[tuple[int, int, bytes]]:
    data = src.data
    rules = _RULES[src.file.language]
    spans: list[tuple[int, int, bool]] = []  # start, end, replaced by `pass`
    for node in src.comments:
        s, e = node.start_byte, node.end_byte
        while e > s and data[e - 1 : e] in (b"\n", b"\r"):
            e -= 1  # line comments that include their newline
        needs_pass = isinstance(node, ts.Node) and src.file.language == "python" and node.type == "string" \
            and _docstring_needs_pass(node)
        spans.append((s, e, needs_pass))
    spans.sort()
    groups: list[list[int]] = []  # [start, end, 1 if replaced by `pass`]
    for s, e, needs_pass in spans:
        last = groups[-1] if groups else None
        if last and not needs_pass and not last[2] and s >= last[1] and not data[last[1] : s].strip():
            last[1] = max(last[1], e)
        else:
            groups.append([s, e, int(needs_pass)])
    edits = []
    for s, e, by_pass in groups:
        ls = s
        while ls > 0 and data[ls - 1] in _BLANK:
            ls -= 1
        le = e
        while le < len(data) and data[le] in _BLANK:
            le += 1
        line_start = ls == 0 or data[ls - 1] == 10
        line_end = le == len(data) or data[le] == 10
        if by_pass:
            edits.append((s, e, b"pass"))
        elif line_start and line_end:
            edits.append((ls, min(le + 1, len(data)), b""))
        elif line_end:
            edits.append((ls, le, b""))
        elif line_start:
            edits.append((s, le, b""))
        else:
            gap = b"\n" if rules.newline_significant and b"\n" in data[s:e] else b" "
            edits.append((ls, le, gap))
    return edits


# ---------------------------------------------------------------------------------------------
# Imports from outside the tree: (name, kept, qualifies members) triples


@dataclass
class _Index:
    """What the tree itself defines (so that an import of it is internal)."""

    stems: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)  # Haskell headers, OCaml module bindings, ...
    packages: set[str] = field(default_factory=set)  # Java packages, Ada unit roots, C++ namespaces
    defined: set[str] = field(default_factory=set)  # Python and Rust definitions


def _ids_in(src: _Src, node: ts.Node) -> Iterator[str]:
    i = bisect.bisect_left(src.starts, node.start_byte)
    while i < len(src.ids) and src.ids[i].end_byte <= node.end_byte:
        yield src.keys[i]
        i += 1


def _aliases(node: ts.Node) -> set[tuple[int, int]]:
    """The spans of the names an import binds by the importer's choice: ``np`` of ``import numpy
    as np``, ``fs`` of ``import fs from 'fs'``."""
    out = set()
    stack = [node]
    while stack:
        n = stack.pop()
        for i, c in enumerate(n.children):
            field_name = n.field_name_for_child(i)
            if field_name == "alias" or (n.type == "pair_pattern" and field_name == "value") or (
                n.type in ("import_clause", "namespace_import", "namespace_export") and c.type == "identifier"
            ):
                out.add((c.start_byte, c.end_byte))
            stack.append(c)
    return out


def _all_external(src: _Src, node: ts.Node) -> Iterator[tuple[str, bool, bool]]:
    """Every name of an import from outside the tree: (key, kept, qualifies members). An alias the
    importer chose is the program's own name (renamed), but it still reaches the library."""
    aliases = _aliases(node)
    i = bisect.bisect_left(src.starts, node.start_byte)
    while i < len(src.ids) and src.ids[i].end_byte <= node.end_byte:
        item = src.ids[i]
        yield src.keys[i], (item.start_byte, item.end_byte) not in aliases, True
        i += 1


def _dotted(src: _Src, node: ts.Node) -> str:
    return re.sub(r"\s+", "", src.text(node))


def _python_import_parts(src: _Src, node: ts.Node) -> Iterator[tuple[ts.Node, str, list[str]]]:
    """(the part to keep if external, its module's dotted path, the names it imports) of an
    import statement; relative imports are left out (always this tree's)."""
    module = node.child_by_field_name("module_name")
    names = [n.child_by_field_name("name") if n.type == "aliased_import" else n for n in node.children_by_field_name("name")]
    if module is not None:
        if module.type != "relative_import":
            yield node, _dotted(src, module), [_dotted(src, n) for n in names if n is not None]
        return
    for part, dotted in zip(node.children_by_field_name("name"), names):
        if dotted is not None:
            yield part, _dotted(src, dotted), []


def _python_local(path: str, idx: _Index) -> bool:
    first = path.split(".")[0]
    return path in idx.modules or first in idx.modules or first in idx.packages


def _python_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    for node in _find(src, {"future_import_statement"}):
        yield from _all_external(src, node)
    for node in _find(src, {"import_statement", "import_from_statement"}):
        for part, path, _ in _python_import_parts(src, node):
            if not _python_local(path, idx):
                yield from _all_external(src, part)


_RUST_CRATES = frozenset({"std", "core", "alloc", "proc_macro", "test"})


def _rust_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    local = idx.stems | idx.dirs | idx.modules
    for node in _find(src, {"use_declaration", "extern_crate_declaration"}):
        if node.type == "extern_crate_declaration":
            yield from _all_external(src, node)
            continue
        arg = node.child_by_field_name("argument")
        if arg is None:
            continue
        for path in _use_paths(arg):
            root = _leftmost(path)
            first = src.text(root)
            if root.type in ("crate", "self", "super") or first in local:
                continue
            # `use mycrate::{Printer, squeezer::Squeezer}` from the crate's own binary: a name
            # after the crate's is this tree's.
            rest = [k for k in _ids_in(src, path)][1:]
            if first not in _RUST_CRATES and any(k in local or k in idx.defined for k in rest):
                continue
            yield from _all_external(src, path)


def _use_paths(node: ts.Node) -> Iterator[ts.Node]:
    """The separate paths of a use tree (`use {a::b, c}` has two)."""
    if node.type == "use_list":
        for c in node.named_children:
            yield from _use_paths(c)
    else:
        yield node


def _go_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    for spec in _find(src, {"import_spec"}):
        path_node = spec.child_by_field_name("path")
        if path_node is None:
            continue
        path = src.text(path_node).strip("\"`")
        parts = path.split("/")
        if "." in parts[0] and parts[-1] in idx.dirs:
            continue  # a package of this tree
        alias = spec.child_by_field_name("name")
        if alias is not None and alias.type == "package_identifier":
            yield src.text(alias), False, True
        else:
            name = re.sub(r"\.v\d+$|^go-|-go$", "", parts[-1] if not re.fullmatch(r"v\d+", parts[-1]) else parts[-2])
            yield name.replace("-", "_").replace(".", "_"), True, True


def _java_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    for node in _find(src, {"import_declaration"}):
        path = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
        if path is None:
            continue
        text = _dotted(src, path)
        parts = text.split(".")
        wildcard = any(c.type == "asterisk" for c in node.children)
        package = text if wildcard else ".".join(parts[:-1])
        if any(package == p or package.startswith(p + ".") for p in idx.packages) or parts[-1] in idx.stems:
            continue
        # Classes (capitalised) qualify their members (Math.max); package names do not, or the
        # tree's own org.example.* would be kept through an import of org.w3c.dom.
        for key in _ids_in(src, node):
            yield key, True, key[:1].isupper()


def _js_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    def external(string: ts.Node | None) -> bool:
        return string is not None and not src.text(string).strip("'\"`").startswith((".", "/"))

    for node in _find(src, {"import_statement", "export_statement", "call_expression"}):
        if node.type == "call_expression":
            fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
            if fn is None or args is None or src.text(fn) != "require" or args.named_child_count != 1:
                continue
            if not external(args.named_children[0]) or args.named_children[0].type != "string":
                continue
            decl = node.parent
            if decl is not None and decl.type == "variable_declarator":
                name = decl.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    yield src.text(name), False, True  # const fs = require('fs'): the program's name
                elif name is not None:
                    yield from _all_external(src, name)
        elif external(node.child_by_field_name("source")):
            for c in node.named_children:
                if c.type != "string":
                    yield from _all_external(src, c)


def _haskell_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    for node in _find(src, {"import"}):
        module = node.child_by_field_name("module")
        if module is None or src.text(module) in idx.modules:
            continue
        yield from _all_external(src, node)


def _ada_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    for node in _find(src, {"with_clause", "use_clause"}):
        for name in node.named_children:
            if name.type in ("identifier", "selected_component"):
                if src.text(_leftmost(name)).lower() not in idx.packages:
                    yield from _all_external(src, name)


def _cpp_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    for node in _find(src, {"using_declaration"}):
        named = node.named_children
        if named and src.text(_leftmost(named[0])) not in idx.packages:
            yield from _all_external(src, node)
            if src.text(named[0]) == "std" and any(c.type == "namespace" for c in node.children):
                yield from ((k, True, False) for k in src.keys if k in _CPP_STD)


def _ocaml_imports(src: _Src, idx: _Index) -> Iterator[tuple[str, bool, bool]]:
    # Every module name that is no module of this tree is external (Stdlib's, a library's).
    for node, key in zip(src.ids, src.keys):
        if node.type in ("module_name", "module_type_name") and key not in idx.modules:
            yield key, True, True


def _build_index(srcs: list[_Src]) -> _Index:
    idx = _Index()
    for src in srcs:
        rel = Path(src.file.relpath)
        stem = rel.name.split(".", 1)[0]
        idx.stems.add(stem)
        idx.dirs.update(rel.parent.parts)
        lang, root = src.file.language, src.tree.root_node
        if lang == "python":
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            idx.modules.update(".".join(parts[: i + 1]) for i in range(len(parts)))
            for node in _find(src, {"function_definition", "class_definition"}):
                name = node.child_by_field_name("name")
                if name is not None:
                    idx.defined.add(src.text(name))
        elif lang == "rust":
            for node in _find(src, {"mod_item"}):
                name = node.child_by_field_name("name")
                if name is not None:
                    idx.modules.add(src.text(name))
            for node in _find(src, {"struct_item", "enum_item", "trait_item", "function_item", "type_item", "const_item",
                                    "static_item", "union_item", "macro_definition"}):  # fmt: skip
                name = node.child_by_field_name("name")
                if name is not None:
                    idx.defined.add(src.text(name))
        elif lang == "java":
            for node in _find(src, {"package_declaration"}):
                for c in node.named_children:
                    if c.type in ("scoped_identifier", "identifier"):
                        idx.packages.add(re.sub(r"\s+", "", src.text(c)))
        elif lang == "haskell":
            idx.modules.add(".".join(rel.with_suffix("").parts))
            idx.modules.add(rel.stem)
            for node in _find(src, {"header"}):
                module = node.child_by_field_name("module")
                if module is not None:
                    idx.modules.add(src.text(module))
        elif lang == "ocaml":
            idx.modules.add(stem[:1].upper() + stem[1:])
            for node in _find(src, {"module_binding", "module_parameter", "module_type_definition"}):
                name = next((c for c in node.named_children if c.type in ("module_name", "module_type_name")), None)
                if name is not None:
                    idx.modules.add(src.text(name))
        elif lang == "ada":
            idx.packages.add(stem.split("-")[0].lower())
            for unit in root.named_children:
                for decl in unit.named_children:
                    name = decl.child_by_field_name("name")
                    if name is None:
                        name = next((c.child_by_field_name("name") for c in decl.named_children
                                     if c.child_by_field_name("name") is not None), None)  # fmt: skip
                    if name is not None:
                        idx.packages.add(src.text(_leftmost(name)).lower())
        elif lang == "cpp":
            for node in _find(src, {"namespace_definition"}):
                name = node.child_by_field_name("name")
                if name is not None:
                    idx.packages.add(src.text(_leftmost(name)))
    # Python: the tree's own package, imported absolutely (`from commonmark.blocks import Parser`
    # inside commonmark/): a name whose submodule, or whose imported names, are this tree's.
    for src in srcs:
        if src.file.language != "python":
            continue
        for node in _find(src, {"import_statement", "import_from_statement"}):
            for _, path, names in _python_import_parts(src, node):
                first, _, rest = path.partition(".")
                if first in sys.stdlib_module_names or first in idx.modules:
                    continue
                if (rest and rest in idx.modules) or (names and all(n in idx.modules or n in idx.defined for n in names)):
                    idx.packages.add(first)
    return idx


# ---------------------------------------------------------------------------------------------
# The rules


_CPP_MEMBERS = (("qualified_identifier", "scope", "name"),)
_JS_MEMBERS = (("member_expression", "object", "property"),)
_OCAML_MEMBERS = tuple(
    (kind, None, None)
    for kind in ("value_path", "constructor_path", "type_constructor_path", "field_path", "module_path",
                 "extended_module_path", "module_type_path", "class_path", "class_type_path")
)  # fmt: skip

_RULES: dict[str, _Rules] = {
    "c": _Rules(keep=_C_KEEP),
    "cpp": _Rules(keep=_CPP_KEEP, roots=frozenset({"std", "chrono", "this_thread", "numeric_limits"}),
                  members=_CPP_MEMBERS, imports=_cpp_imports),
    "go": _Rules(keep=_GO_KEEP, members=(("selector_expression", "operand", "field"), ("qualified_type", "package", "name")),
                 newline_significant=True, imports=_go_imports, kwargs=(("keyed_element", None),)),
    "python": _Rules(keep=_PYTHON_KEEP, roots=_PYTHON_BUILTINS, members=(("attribute", "object", "attribute"),),
                     imports=_python_imports, kwargs=(("keyword_argument", "name"),)),
    "rust": _Rules(keep=_RUST_KEEP,
                   roots=frozenset("std core alloc Vec String Box Option Result HashMap HashSet BTreeMap BTreeSet "
                                   "VecDeque Rc Arc RefCell Cell Mutex Ordering char u8 u16 u32 u64 u128 usize i8 "
                                   "i16 i32 i64 i128 isize f32 f64 str".split()),
                   members=(("scoped_identifier", "path", "name"), ("scoped_type_identifier", "path", "name")),
                   inside=("attribute_item", "inner_attribute_item"), imports=_rust_imports),
    "javascript": _Rules(keep=_JS_KEEP, roots=_words("""Object Array String Number Boolean Symbol BigInt Math JSON
                         Date RegExp Promise Reflect Intl Atomics console process Buffer global globalThis window
                         document navigator"""),
                         members=_JS_MEMBERS, newline_significant=True, imports=_js_imports),
    "typescript": _Rules(keep=_TS_KEEP, roots=_words("""Object Array String Number Boolean Symbol BigInt Math JSON
                         Date RegExp Promise Reflect Intl Atomics console process Buffer global globalThis window
                         document navigator"""),
                         members=(*_JS_MEMBERS, ("nested_type_identifier", "module", "name")),
                         newline_significant=True, imports=_js_imports),
    "java": _Rules(keep=_JAVA_KEEP, roots=frozenset(w for w in _JAVA_KEEP if w[:1].isupper()) | {"java", "javax"},
                   members=(("field_access", "object", "field"), ("method_invocation", "object", "name"),
                            ("scoped_identifier", "scope", "name"), ("scoped_type_identifier", None, None)),
                   imports=_java_imports),
    "haskell": _Rules(keep=_HASKELL_KEEP, members=(("qualified", "module", "id"),), imports=_haskell_imports),
    "ocaml": _Rules(keep=_OCAML_KEEP, members=_OCAML_MEMBERS, imports=_ocaml_imports,
                    kwargs=(("labeled_argument", None),)),
    "ada": _Rules(keep=_ADA_KEEP, roots=frozenset("standard ada interfaces system gnat ascii".split()),
                  members=(("selected_component", "prefix", "selector_name"),),
                  inside=("attribute_designator",), case_insensitive=True, imports=_ada_imports,
                  kwargs=(("parameter_association", None),)),
}


def _always_kept(key: str, lang: str, rules: _Rules) -> bool:
    if key in rules.keep or not key.strip("_"):
        return True
    if lang in ("c", "cpp") and (key.startswith("__") or (key[:1] == "_" and key[1:2].isupper())):
        return True  # reserved to the implementation (C11 7.1.3): compiler and library names
    return False


def _member_of(node: ts.Node, kind_field: str | None, last: bool) -> ts.Node | None:
    if kind_field is not None:
        return node.child_by_field_name(kind_field)
    named = node.named_children
    if len(named) < 2:
        return None
    return named[-1] if last else named[0]


def _heads(node: ts.Node, spec: dict[str, tuple[str | None, str | None]]) -> Iterator[ts.Node]:
    """The names a member position holds: `vector` of `vector<int>`, `chrono` and `now` of
    `chrono::steady_clock::now` (paths nest to the right in C++)."""
    while node.named_child_count:
        if node.type in spec:
            obj, member = _member_of(node, spec[node.type][0], False), _member_of(node, spec[node.type][1], True)
            if obj is not None:
                yield _leftmost(obj)
            if member is None:
                return
            node = member
            continue
        inner = node.child_by_field_name("name")
        node = inner if inner is not None else node.named_children[0]
    yield node


def _callee_head(call: ts.Node) -> ts.Node | None:
    fn = call.child_by_field_name("function") or call.child_by_field_name("name") or call.child_by_field_name("type")
    if fn is None:
        fn = call.named_children[0] if call.named_child_count else None
    if fn is None:
        return None
    while fn.named_child_count:
        member = fn.child_by_field_name("attribute") or fn.child_by_field_name("field") \
            or fn.child_by_field_name("property") or fn.child_by_field_name("selector_name") \
            or fn.child_by_field_name("name")  # fmt: skip
        fn = member if member is not None else fn.named_children[-1]
    return fn


def _kept_names(srcs: list[_Src], idx: _Index) -> set[str]:
    kept: set[str] = set()
    roots: set[str] = set()
    # Pass 1: reserved and predefined names, structural keeps, imports from outside the tree.
    for src in srcs:
        lang = src.file.language
        rules = _RULES[lang]
        for key in src.keys:
            if _always_kept(key, lang, rules):
                kept.add(key)
                if key in rules.roots:
                    roots.add(key)
        for kind in rules.inside:
            for node in _find(src, {kind}):
                kept.update(_ids_in(src, node))
        if lang == "ada":  # pragma names
            for node in _find(src, {"pragma_g"}):
                name = next((c for c in node.named_children if c.type == "identifier"), None)
                if name is not None:
                    kept.add(src.text(name).lower())
        if rules.imports is not None:
            for key, keep, root in rules.imports(src, idx):
                if keep:
                    kept.add(key)
                if root:
                    roots.add(key)
    # Pass 2: members reached through an external name.
    for src in srcs:
        lang = src.file.language
        rules = _RULES[lang]
        kinds = {k for k, _, _ in rules.members}
        spec = {k: (o, m) for k, o, m in rules.members}
        for node in _find(src, kinds):
            obj_field, member_field = spec[node.type]
            obj, member = _member_of(node, obj_field, False), _member_of(node, member_field, True)
            if obj is None or member is None:
                continue
            if _external_root(src, obj, roots, idx):
                for head in _heads(member, spec):
                    text = src.text(head)
                    kept.add(text.lower() if rules.case_insensitive else text)
    # Pass 3: named arguments of kept callees (print(file=...), Put (Item => ...)).
    for src in srcs:
        rules = _RULES[src.file.language]
        for kind, name_field in rules.kwargs:
            for node in _find(src, {kind}):
                call = node.parent
                if kind == "parameter_association" or kind == "keyword_argument":
                    call = call.parent if call is not None else None
                elif kind == "keyed_element":  # composite_literal > literal_value > keyed_element
                    call = call.parent if call is not None else None
                    # Only a struct of another package (http.Server{Addr: a}), not a map literal.
                    type_ = call.child_by_field_name("type") if call is not None else None
                    if type_ is None or type_.type != "qualified_type":
                        continue
                if call is None:
                    continue
                callee = _callee_head(call)
                if callee is None:
                    continue
                ckey = src.text(callee).lower() if rules.case_insensitive else src.text(callee)
                if ckey not in kept or ckey.startswith("__") or ckey in _RECEIVERS:
                    continue  # super().__init__(name=...) passes the program's own parameters
                if name_field is not None:
                    name = node.child_by_field_name(name_field)
                    names = [name] if name is not None else []
                else:
                    first = node.named_children[0] if node.named_child_count else None
                    names = [first] if first is not None and first.type != "expression" else []
                for name in names:
                    kept.update(_ids_in(src, name))
    return kept


def _external_root(src: _Src, obj: ts.Node, roots: set[str], idx: _Index) -> bool:
    lang = src.file.language
    if lang == "haskell":
        return src.text(obj) not in idx.modules
    root = _leftmost(obj)
    text = src.text(root)
    if lang == "ocaml":
        return root.type in ("module_name", "module_type_name") and text not in idx.modules
    if lang == "ada":
        text = text.lower()
    return text in roots and text not in _RECEIVERS


# ---------------------------------------------------------------------------------------------
# New names


_PREFIX = re.compile(r"^(?:r#)?([_$#]*)")
_FIRST = "abcdefghijklmnopqrstuvwxyz"
_REST = _FIRST + "0123456789"
#: Type names that tree-sitter lexes as keywords (primitive_type tokens), unlike other names.
_PRIMITIVES = _words("""
    bool char int float double void short long signed unsigned size_t ssize_t ptrdiff_t intptr_t
    uintptr_t charptr_t nullptr_t max_align_t int8_t int16_t int32_t int64_t uint8_t uint16_t
    uint32_t uint64_t char8_t char16_t char32_t wchar_t auto i8 i16 i32 i64 i128 isize u8 u16 u32
    u64 u128 usize f32 f64 str boolean byte
""")


@functools.cache
def _keywords(language: str) -> frozenset[str]:
    """The grammar's keywords: its anonymous word tokens (`if`, `match`, Haskell's `d` of `[d|`)."""
    lang = load_grammar(language).language
    return frozenset(
        k for i in range(lang.node_kind_count)
        if not lang.node_kind_is_named(i) and re.fullmatch(r"[A-Za-z_]\w*", k := lang.node_kind_for_id(i) or "")
    )  # fmt: skip


def _core(key: str) -> tuple[str, str]:
    """(sigils and leading underscores, the rest) of a name."""
    m = _PREFIX.match(key)
    return (m.group(1), key[m.end() :]) if m else ("", key)


def _candidate(seed: str, key: str, salt: int, n: int) -> str:
    digest = hashlib.shake_256(f"{seed}\0{salt}\0{key}".encode("utf-8", "surrogateescape")).digest(n)
    return _FIRST[digest[0] % 26] + "".join(_REST[b % 36] for b in digest[1:])


def _enumerate(n: int) -> Iterator[str]:
    """Every candidate of ``n`` characters, for short lengths."""
    if n == 1:
        yield from _FIRST
    else:
        for a in _FIRST:
            for b in _REST:
                yield a + b


def _new_names(keys: list[str], seed: str, forbidden: set[str], avoid: set[str], fold: bool) -> dict[str, str]:
    """key -> new name body (lower-case; the initial's case is the occurrence's).

    The body is as long as the name's (sigils and leading underscores apart): tree-sitter's error
    recovery weighs skipped bytes, so names of other lengths would change how broken code (C behind
    macros) parses. Bodies are drawn from the seed and the key, distinct for distinct keys, never a
    ``forbidden`` name (keywords, kept names) and if possible no name of the tree (``avoid``);
    assigned in sorted order, so every run resolves a collision the same way."""
    out: dict[str, str] = {}
    used: set[str] = set()

    def ident(prefix: str, upper: bool, body: str) -> str:
        name = prefix + (body.capitalize() if upper else body)
        return name.lower() if fold else name

    def free(prefix: str, upper: bool, body: str, strict: bool) -> bool:
        # Both initials are checked where the occurrences' case may vary (Ada).
        variants = {ident(prefix, upper, body)} | ({ident(prefix, not upper, body)} if fold else set())
        return not any(v in forbidden or v in used or (strict and v in avoid) for v in variants)

    for key in sorted(keys):
        prefix, rest = _core(key)
        upper = rest[:1].isupper()
        n = max(1, len(rest.encode("utf-8", "surrogateescape")))
        body = None
        while body is None:
            tries = [_candidate(seed, key, salt, n) for salt in range(32)]
            body = next((b for b in tries if free(prefix, upper, b, True)), None)
            if body is None and n <= 2:  # few candidates: try each, from a seeded offset
                pool = list(_enumerate(n))
                start = int.from_bytes(hashlib.sha256(f"{seed}\0{key}".encode("utf-8", "surrogateescape")).digest()[:8], "big")
                order = pool[start % len(pool) :] + pool[: start % len(pool)]
                body = next((b for b in order if free(prefix, upper, b, True)), None)
                if body is None:
                    body = next((b for b in order if free(prefix, upper, b, False)), None)
            n += 1
        used.add(ident(prefix, upper, body))
        out[key] = body
    return out


def _styled(original: str, base: str) -> str:
    """``base`` with the original's sigils and leading underscores, and its initial's case."""
    m = _PREFIX.match(original)
    prefix = m.group(1) if m else ""
    rest = original[m.end() :] if m else original
    if rest[:1].isupper():
        base = base[:1].upper() + base[1:]
    return prefix + base


# ---------------------------------------------------------------------------------------------
# Entry points


def _strip(file: SourceFile, data: bytes) -> tuple[bytes, int]:
    """Remove the comments until none is left (removing a docstring may make the next string
    one)."""
    removed = 0
    for _ in range(8):
        src = _load(file, data)
        if not src.comments:
            break
        removed += len(src.comments)
        data = _rewrite(data, _comment_edits(src))
    return data, removed


def launder_bytes(files: list[tuple[SourceFile, bytes]], seed: str) -> tuple[list[bytes], LaunderStats]:
    """Launder a tree given as (file, bytes) pairs: the new bytes of each, and the stats."""
    stripped: list[_Src] = []
    counts: list[tuple[int, int]] = []
    for file, data in files:
        before = _errors(_parser(file.language).parse(data))
        out, removed = _strip(file, data)
        stripped.append(_load(file, out))
        counts.append((before, removed))
    idx = _build_index(stripped)
    kept = _kept_names(stripped, idx)
    all_keys = {k for s in stripped for k in s.keys}
    fold = any(_RULES[s.file.language].case_insensitive for s in stripped)
    languages = {s.file.language for s in stripped}
    forbidden = set(kept) | _PRIMITIVES
    for language in languages:
        forbidden |= _keywords(language) | _RULES[language].keep
    if fold:
        forbidden = {f.lower() for f in forbidden}
    avoid = {s.text(n).lower() if fold else s.text(n) for s in stripped for n in s.ids}
    names = _new_names(sorted(all_keys - kept), seed, forbidden, avoid, fold)
    outputs: list[bytes] = []
    per_file: list[FileStats] = []
    renamed_occ = kept_occ = 0
    for src, (before, removed) in zip(stripped, counts):
        edits = []
        for node, key in zip(src.ids, src.keys):
            if key in kept:
                continue
            new = _styled(src.text(node), names[key])
            edits.append((node.start_byte, node.end_byte, new.encode("utf-8", "surrogateescape")))
        out = _rewrite(src.data, edits)
        outputs.append(out)
        after = _errors(_parser(src.file.language).parse(out))
        n_kept = len(src.ids) - len(edits)
        renamed_occ += len(edits)
        kept_occ += n_kept
        per_file.append(FileStats(src.file.relpath, src.file.language, len(edits), n_kept, removed, before, after))
    used_kept = kept & all_keys
    stats = LaunderStats(
        files=len(files), renamed_distinct=len(names), renamed_occurrences=renamed_occ,
        kept_distinct=len(used_kept), kept_occurrences=kept_occ,
        comments_removed=sum(f.comments for f in per_file), per_file=tuple(per_file), names=names,
        kept=frozenset(used_kept),
    )  # fmt: skip
    return outputs, stats


def laundered_path(relpath: str, seed: str) -> str:
    """``relpath`` with every directory name and file stem replaced by a meaningless name derived
    from the seed and that name (the same name always maps to the same replacement, so files
    that shared a directory still do); extensions are kept (they select the language). File and
    directory names are identifiers too: a launderer renames them, and memaudit's layout channel
    would otherwise still see them."""
    parts = relpath.split("/")
    out = []
    for i, part in enumerate(parts):
        stem, dot, ext = part.partition(".") if i == len(parts) - 1 else (part, "", "")
        digest = hashlib.sha256(f"{seed}\0path\0{stem}".encode()).hexdigest()[:10]
        out.append(f"f{digest}{dot}{ext}")
    return "/".join(out)


def launder_tree(src: Path, dest: Path, seed: str) -> LaunderStats:
    """Write the laundered copy of the source tree ``src`` to ``dest`` (replaced if present): the
    files memaudit would read, under laundered paths (:func:`laundered_path`)."""
    src, dest = Path(src), Path(dest)
    found = discover(str(src)).files
    files = [(f, Path(f.path).read_bytes()) for f in found]
    outputs, stats = launder_bytes(files, seed)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for (file, _), data in zip(files, outputs):
        out = dest / laundered_path(file.relpath, seed)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return stats
