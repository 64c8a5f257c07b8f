# One CMake target per folder, linked as cmake/layers.txt says (the table
# is the only place the layer graph is written; tests/integration/layers.sh
# checks the sources against the same table).
set(CAIRN_LAYERS_TABLE ${PROJECT_SOURCE_DIR}/cmake/layers.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
	${CAIRN_LAYERS_TABLE})
file(STRINGS ${CAIRN_LAYERS_TABLE} _cairn_layer_lines REGEX "^[a-z]")
set(CAIRN_LAYER_LIBS)
foreach(_line ${_cairn_layer_lines})
	string(REGEX REPLACE "[ \t]+" ";" _f "${_line}")
	list(POP_FRONT _f _folder _tgt)
	set(CAIRN_LAYER_TARGET_${_folder} ${_tgt})
	set(CAIRN_LAYER_DEPS_${_folder} ${_f})
	list(APPEND CAIRN_LAYER_FOLDERS_${_tgt} ${_folder})
	if(NOT _tgt STREQUAL "cairn_cli")
		list(APPEND CAIRN_LAYER_LIBS ${_tgt})
	endif()
endforeach()
list(REMOVE_DUPLICATES CAIRN_LAYER_LIBS)

# cairn_layer(<target> [EXECUTABLE] [SOURCES extra...])
# Builds <target> from every .c file in the folders the table gives it
# (globbed, so adding a file never means editing CMake), links it PRIVATE
# to the targets of the folders those may include, and puts the include
# root of its folders (core/, nodes/ or the repository root) PUBLIC, for the
# layers above.  Libraries are static and nothing of them is installed.
function(cairn_layer tgt)
	cmake_parse_arguments(L "EXECUTABLE" "" "SOURCES" ${ARGN})
	set(srcs ${L_SOURCES})
	set(deps)
	set(roots)
	foreach(folder ${CAIRN_LAYER_FOLDERS_${tgt}})
		file(GLOB s CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*.c)
		list(APPEND srcs ${s})
		get_filename_component(parent ${folder} DIRECTORY)
		list(APPEND roots ${PROJECT_SOURCE_DIR}/${parent})
		foreach(d ${CAIRN_LAYER_DEPS_${folder}})
			if(NOT CAIRN_LAYER_TARGET_${d} STREQUAL tgt)
				list(APPEND deps ${CAIRN_LAYER_TARGET_${d}})
			endif()
		endforeach()
	endforeach()
	list(REMOVE_DUPLICATES deps)
	list(REMOVE_DUPLICATES roots)
	if(L_EXECUTABLE)
		add_executable(${tgt} ${srcs})
		target_include_directories(${tgt} PRIVATE ${roots})
	else()
		add_library(${tgt} STATIC ${srcs})
		target_include_directories(${tgt} PUBLIC ${roots})
	endif()
	target_link_libraries(${tgt} PRIVATE ${deps})
	target_compile_definitions(${tgt} PRIVATE
		CAIRN_VERSION_STRING="${PROJECT_VERSION}")
	cairn_target_flags(${tgt})
endfunction()
