# Per-target warning, hardening and sanitizer flags (STYLE.md section 9).
include(CheckCCompilerFlag)

set(CAIRN_WARNINGS
	-Wall -Wextra -Wformat=2 -Wshadow -Wcast-qual -Wvla
	-Wstrict-prototypes -Wmissing-prototypes -Wconversion
	# -Wconversion in C also turns on -Wsign-conversion, which flags every
	# size_t/int mix in loop bounds; we keep the narrowing checks and drop
	# the sign ones (nng does the same).
	-Wno-sign-conversion)
set(CAIRN_HARDENING -fstack-protector-strong -fno-strict-overflow)

function(cairn_target_flags tgt)
	target_compile_options(${tgt} PRIVATE ${CAIRN_WARNINGS} ${CAIRN_HARDENING})
	if(CAIRN_WERROR)
		target_compile_options(${tgt} PRIVATE -Werror)
	endif()
	if(NOT CAIRN_SANITIZER AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
		target_compile_definitions(${tgt} PRIVATE _FORTIFY_SOURCE=2)
	endif()
	get_target_property(type ${tgt} TYPE)
	if(type STREQUAL "EXECUTABLE")
		target_link_options(${tgt} PRIVATE -pie
			-Wl,-z,relro,-z,now,-z,noexecstack)
	endif()
endfunction()

if(CAIRN_SANITIZER)
	string(REPLACE ";" "," _san "${CAIRN_SANITIZER}")
	add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer
		-fno-sanitize-recover=all)
	add_link_options(-fsanitize=${_san})
	add_compile_definitions(CAIRN_SANITIZED=1)
endif()

# libFuzzer builds: the library gets coverage instrumentation too, so that
# the fuzzers see the branches of the code they exercise (the fuzz targets
# themselves link with -fsanitize=fuzzer, see tests/CMakeLists.txt).
if(CAIRN_FUZZ)
	add_compile_options(-fsanitize=fuzzer-no-link)
endif()
