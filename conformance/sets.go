package main

// ciScripts is the -set ci preset: a subset of cmd/go's module scripts
// that runs in a few minutes on two cores for both sides together
// (-set full takes about a minute a side here, so there is room), and
// covers what gofast's proxy and prefetch take part in. Every script
// here passes with go alone in -test.short mode; the comment on each
// group says what it covers.
var ciScripts = []string{
	// Queries: @main/@branch, @<commit>, @v1 prefixes, @upgrade, @patch,
	// pseudo-versions, exclusions, empty results.
	"mod_query", "mod_query_main", "mod_query_exclude", "mod_query_empty",
	"mod_get_main", "mod_get_upgrade", "mod_get_upgrade_pseudo",
	"mod_list_upgrade_pseudo", "mod_get_patch", "mod_get_patchmod",
	"mod_get_latest_pseudo", "mod_list_pseudo", "mod_list_upgrade",
	"mod_list_m", "mod_versions", "mod_get_changes",
	// mod download, tidy and the module cache.
	"mod_download_json", "mod_download_partial", "mod_tidy", "mod_tidy_sum",
	"mod_update_sum_readonly", "mod_get_lazy_indirect",
	"work_why_download_graph",
	// Retractions and deprecations.
	"mod_get_retract", "mod_retract", "mod_list_retract",
	"mod_retract_versions", "mod_retract_incompatible",
	"mod_get_deprecated", "mod_list_deprecated", "mod_deprecate_message",
	"mod_list_update_nolatest",
	// +incompatible.
	"mod_get_incompatible", "mod_get_prefer_incompatible",
	// GOPROXY lists, off, file://, invalid and missing answers.
	"mod_proxy_list", "mod_proxy_invalid", "mod_off", "mod_get_nopkgs",
	"mod_install_pkg_version", "mod_fileproxy_vcs_missing_issue51589",
	"mod_get_replaced", "mod_get_update_unrelated_sum",
	// Bad zips and go.mod files served by the proxy.
	"mod_load_badzip", "mod_bad_filenames", "mod_load_replace_mismatch",
	"mod_invalid_path_dotname",
	// The checksum database, GONOSUMDB, GOSUMDB=off, GOINSECURE, GOPRIVATE.
	"mod_sumdb", "mod_sumdb_proxy", "mod_sumdb_cache", "mod_sum_lookup",
	"mod_sum_absent", "mod_get_insecure_redirect",
	"get_insecure_no_longer_supported",
	// Workspaces.
	"work_sum", "work_sum_mismatch", "work_goproxy_off", "work_sync_sum",
	"mod_get_workspace_incomplete", "mod_list_direct_work",
	// Toolchain switches and version requirements.
	"mod_get_toolchain", "gotoolchain_modcmds", "gotoolchain_local",
	"mod_get_exec_toolchain", "mod_download_exec_toolchain",
	"mod_get_future", "work_get_toolchain", "install_dep_version",
	"mod_get_tool",
}
