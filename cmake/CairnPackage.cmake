# CairnPackage.cmake — what a Debian package of cairn holds, and CPack's
# settings to build it (scripts/pkg_deb.sh; README "Install as a Debian
# package").  Every destination is relative to the install prefix (CPack
# packages under /usr), so 'cmake --install' to /usr/local writes nothing
# outside that prefix; /etc/cairn and /var/lib/cairn are made by the
# package's postinst, which also makes the cairn system user.
set(CAIRN_DEB_MAINTAINER "cairn maintainers <cairn-maintainers@example.org>"
    CACHE STRING "Maintainer field of the Debian package")

# Man pages and the changelog are gzip-compressed (-9n: the most, and no
# time stamp, so the package is the same from one build to the next).
set(_pkgdir ${CMAKE_BINARY_DIR}/pkg)
configure_file(${PROJECT_SOURCE_DIR}/pkg/debian/changelog.in
	${_pkgdir}/changelog @ONLY)
set(_gz)
foreach(src docs/man/cairn.1 docs/man/cairn.conf.5 ${_pkgdir}/changelog)
	get_filename_component(name ${src} NAME)
	if(NOT IS_ABSOLUTE ${src})
		set(src ${PROJECT_SOURCE_DIR}/${src})
	endif()
	add_custom_command(OUTPUT ${_pkgdir}/${name}.gz
		COMMAND gzip -9n -c ${src} > ${_pkgdir}/${name}.gz
		DEPENDS ${src} VERBATIM)
	list(APPEND _gz ${_pkgdir}/${name}.gz)
endforeach()
add_custom_target(cairn_pkgdocs ALL DEPENDS ${_gz})

install(FILES ${_pkgdir}/cairn.1.gz
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_pkgdir}/cairn.conf.5.gz
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${_pkgdir}/changelog.gz pkg/debian/copyright
	DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES pkg/etc/coordinator.conf.example pkg/etc/node.conf.example
	DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# The sample federation 'cairn demo' runs (nodes/cli/cmd_demo.c looks in
# PREFIX/share/cairn/examples when the source tree is not there).
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cairn/examples
	PATTERN generate.py EXCLUDE)
install(FILES pkg/systemd/cairn-coordinator.service
	pkg/systemd/cairn-node@.service
	DESTINATION lib/systemd/system)
install(FILES pkg/debian/lintian-overrides
	DESTINATION share/lintian/overrides RENAME cairn)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cairn)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The cairn authors")
set(CPACK_PACKAGE_CONTACT "${CAIRN_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
	"privacy-preserving federated computation runtime")
# The extended description, in lines of at most 80 characters.
string(CONCAT CPACK_PACKAGE_DESCRIPTION
	"cairn answers aggregate queries and runs approved programs over data\n"
	"that stays at each agency: node daemons compute over their own data\n"
	"and a coordinator combines their contributions under secure\n"
	"aggregation, so no party sees another's records.\n"
	"This package holds the cairn program, its manual pages, and systemd\n"
	"units for the coordinator and for node daemons, which run as the\n"
	"cairn system user.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends: on the shared libraries the program links, from
# dpkg-shlibdeps, plus what the maintainer scripts run.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
	${PROJECT_SOURCE_DIR}/pkg/debian/postinst
	${PROJECT_SOURCE_DIR}/pkg/debian/prerm
	${PROJECT_SOURCE_DIR}/pkg/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only the program and the files above: the test build (cairn-hooked)
# and the internal static libraries have no install rule.
# Installing builds only what is installed (scripts/pkg_deb.sh builds
# cairn_cli and cairn_pkgdocs first), not the whole test suite.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};cairn;ALL;/")
include(CPack)
