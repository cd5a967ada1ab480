# ctest po-complete: regenerate the template from the sources into the build tree and require that every
# message of it has a translation (not fuzzy) in each LANG.po, and that msgfmt --check accepts the file.
execute_process(COMMAND ${CMAKE_COMMAND} -DSRC=${SRC} -DPOT=${POT} -DXGETTEXT=${XGETTEXT} -DMSGMERGE=${MSGMERGE}
		-P ${SRC}/po/update-pot.cmake RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "could not extract messages from the sources")
endif()
foreach(lang ${LANGUAGES})
	execute_process(COMMAND msgfmt --check -o /dev/null ${SRC}/po/${lang}.po RESULT_VARIABLE rc)
	if(NOT rc EQUAL 0)
		message(FATAL_ERROR "po/${lang}.po does not pass msgfmt --check")
	endif()
	execute_process(COMMAND msgcmp ${SRC}/po/${lang}.po ${POT} RESULT_VARIABLE rc ERROR_VARIABLE out)
	if(NOT rc EQUAL 0)
		message(FATAL_ERROR "po/${lang}.po lacks translations of the current sources:\n${out}\n"
			"run: cmake --build BUILD --target certlink-pot, then translate the new messages")
	endif()
	message(STATUS "po/${lang}.po translates every message of the sources")
endforeach()
