# The daemon's wiring (app, run-once, healthcheck) and the tributary binary.
add_library(tributary_app STATIC
  ${CMAKE_CURRENT_LIST_DIR}/app.cpp
  ${CMAKE_CURRENT_LIST_DIR}/io_thread.cpp
  ${CMAKE_CURRENT_LIST_DIR}/source_pipeline.cpp
  ${CMAKE_CURRENT_LIST_DIR}/conditional_fetch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/page_run.cpp
  ${CMAKE_CURRENT_LIST_DIR}/extraction_health.cpp
  ${CMAKE_CURRENT_LIST_DIR}/extraction_guard.cpp
  ${CMAKE_CURRENT_LIST_DIR}/extraction_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/view_pipeline.cpp
  ${CMAKE_CURRENT_LIST_DIR}/view_index.cpp
  ${CMAKE_CURRENT_LIST_DIR}/history_pruner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/memory_trimmer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/source_records.cpp
  ${CMAKE_CURRENT_LIST_DIR}/component_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fetch_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/preview.cpp
  ${CMAKE_CURRENT_LIST_DIR}/daemon_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fetch_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/run_once.cpp
  ${CMAKE_CURRENT_LIST_DIR}/healthcheck.cpp)
target_link_libraries(tributary_app PUBLIC tributary_api tributary_scheduler tributary_storage
                                           tributary_fetchers tributary_pool tributary_worker
                                           tributary_config CURL::libcurl)

add_executable(tributary ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_compile_definitions(tributary PRIVATE TRIBUTARY_VERSION="${PROJECT_VERSION}")
target_link_libraries(tributary PRIVATE tributary_app)
install(TARGETS tributary RUNTIME DESTINATION bin)
# At the top of the build tree (build/release/tributary), where scripts and docs expect it.
set_target_properties(tributary PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
