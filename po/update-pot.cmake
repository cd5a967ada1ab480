# Regenerates certlink.pot from every translatable source (the list is po/POTFILES.in, one path a line,
# relative to the source root), then merges it into each LANG.po. Run through the certlink-pot target.
file(STRINGS ${SRC}/po/POTFILES.in files REGEX "^[^#]")
set(c_files)
set(ui_files)
foreach(f ${files})
	if(f MATCHES "\\.ui$")
		list(APPEND ui_files ${f})
	else()
		list(APPEND c_files ${f})
	endif()
endforeach()
execute_process(COMMAND ${XGETTEXT} --from-code=UTF-8 --language=C --keyword=_ --keyword=N_
		--keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=ngettext:1,2 --keyword=dngettext:2,3
		--keyword=g_dngettext:2,3
		# core/ formats these through dgettext("certlink", fmt) centrally (core/error.c, core/enroll.c, core/json.c)
		--keyword=cl_error_set:3 --keyword=cl_error_set_openssl:3 --keyword=cl_error_prefix:2
		--keyword=cl_flow_progress:3 --keyword=cl_json_bad:2 --keyword=cl_net_refuse:3 --keyword=CL_N_ --add-comments=TRANSLATORS: --package-name=certlink
		--msgid-bugs-address=certlink --sort-by-file -o ${POT}.c ${c_files}
	WORKING_DIRECTORY ${SRC} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "xgettext (C) failed")
endif()
set(inputs ${POT}.c)
if(ui_files)
	execute_process(COMMAND ${XGETTEXT} --from-code=UTF-8 --language=Glade --sort-by-file
			-o ${POT}.ui ${ui_files}
		WORKING_DIRECTORY ${SRC} RESULT_VARIABLE rc)
	if(NOT rc EQUAL 0)
		message(FATAL_ERROR "xgettext (ui) failed")
	endif()
	list(APPEND inputs ${POT}.ui)
endif()
# xgettext leaves the charset as a placeholder, which msgcat refuses
foreach(f ${inputs})
	file(READ ${f} text)
	string(REPLACE "charset=CHARSET" "charset=UTF-8" text "${text}")
	file(WRITE ${f} "${text}")
endforeach()
execute_process(COMMAND msgcat --use-first -o ${POT} ${inputs} RESULT_VARIABLE rc)
file(REMOVE ${POT}.c ${POT}.ui)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "msgcat failed")
endif()
foreach(lang ${LANGUAGES})
	execute_process(COMMAND ${MSGMERGE} --quiet --update --backup=none --no-fuzzy-matching
		${SRC}/po/${lang}.po ${POT})
endforeach()
