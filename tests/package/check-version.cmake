# The version has one source, project(VERSION) in CMakeLists.txt (certlink --version prints it); the
# package's version in debian/changelog must be the same.
#   cmake -DCHANGELOG=debian/changelog -DVERSION=x.y.z -P check-version.cmake
file(STRINGS ${CHANGELOG} first LIMIT_COUNT 1)
if(NOT first MATCHES "^certlink \\(([^)]+)\\) ")
	message(FATAL_ERROR "${CHANGELOG}: first line is not \"certlink (VERSION) ...\": ${first}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
	message(FATAL_ERROR "debian/changelog says ${CMAKE_MATCH_1}, CMakeLists.txt project(VERSION) says ${VERSION}: "
		"add a changelog entry (dch -v ${VERSION}) or change the project version")
endif()
message(STATUS "debian/changelog and certlink --version agree: ${VERSION}")
