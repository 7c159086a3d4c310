/* Every action of the UI, once: X(ID, "name", "default keys", "hint", "help").
 * This list yields the enum, the names used in keymap files and on the `:` command line,
 * the default bindings (space-separated key names, see keyname_parse), the key-hint bar
 * ("hint": a short label, "" when not shown) and the help overlay, so help can never drift
 * from the bindings. Grouped for the help overlay by ACTION_GROUP. */
#ifndef CLAN_TUI_ACTIONS_H
#define CLAN_TUI_ACTIONS_H

#define ACTIONS(X, GROUP)                                                                  \
    GROUP("Moving")                                                                        \
    X(MOVE_DOWN, "move-down", "j Down C-n", "move", "Move the selection down")             \
    X(MOVE_UP, "move-up", "k Up C-p", "", "Move the selection up")                         \
    X(MOVE_FIRST, "move-first", "g Home", "", "Go to the first row")                       \
    X(MOVE_LAST, "move-last", "G End", "", "Go to the last row")                           \
    X(PAGE_DOWN, "page-down", "PgDn C-f", "", "Move one page down")                        \
    X(PAGE_UP, "page-up", "PgUp C-b", "", "Move one page up")                              \
    X(MOVE_PARENT, "move-parent", "p", "", "Go to the parent node")                        \
    GROUP("Tree")                                                                          \
    X(COLLAPSE, "collapse", "h Left -", "fold", "Collapse the node (or go to its parent)") \
    X(EXPAND, "expand", "l Right +", "", "Expand the node")                                \
    X(ENTER, "enter", "Enter", "open", "Expand or collapse; on a leaf show its details; on a diagnostic go to its source") \
    X(EXPAND_ALL, "expand-all", "*", "", "Expand the node and everything below it")        \
    X(COLLAPSE_ALL, "collapse-all", "_", "", "Collapse everything to the top level")       \
    X(NEXT_DIAG, "next-diag", "]", "", "Go to the next node with a diagnostic")            \
    X(PREV_DIAG, "prev-diag", "[", "", "Go to the previous node with a diagnostic")        \
    GROUP("Panes and views")                                                               \
    X(NEXT_PANE, "next-pane", "Tab", "pane", "Focus the next pane")                        \
    X(PREV_PANE, "prev-pane", "S-Tab", "", "Focus the previous pane")                      \
    X(HELP, "help", "? F1", "help", "Show this help")                                      \
    X(BACK, "back", "Esc", "", "Close the overlay, cancel, or go back to the tree")        \
    X(REDRAW, "redraw", "C-l", "", "Redraw the screen")                                    \
    GROUP("Search and commands")                                                           \
    X(SEARCH, "search", "/", "search", "Search the focused pane (Enter jumps to the first match)") \
    X(SEARCH_NEXT, "search-next", "n", "", "Go to the next match")                         \
    X(SEARCH_PREV, "search-prev", "N", "", "Go to the previous match")                     \
    X(COMMAND, "command", ":", "cmd", "Command line: an action name, theme NAME, goto NAME, set mouse|nomouse, quit") \
    X(QUIT, "quit", "q", "quit", "Quit clan-tui (asks to save, discard or cancel when there are unsaved edits)") \
    GROUP("Editing")                                                                       \
    X(EDIT_TAGS, "edit-tags", "t", "tags", "Tags of the selected machine: toggle, add new; the roles each tag brings") \
    X(EDIT_ROLES, "edit-roles", "r", "roles", "Role members of the selected instance (machines, tags), with the plan change before applying") \
    X(EDIT_EXCLUDE, "edit-exclude", "x", "exclude", "Exclude patterns of the selected client: origin, add, edit, delete, reorder, a path tester") \
    X(EDIT_DESTINATIONS, "edit-destinations", "d", "dest", "Explicit destinations of the selected client: add, edit, remove, with unit names") \
    X(EDIT_SCHEDULE, "edit-schedule", "s", "schedule", "Schedule (startAt) of the selected client with a live calendar preview") \
    X(SETUP_BACKUPS, "setup-backups", "I", "", "Set up a borgbackup instance: a server machine or an external destination, clients, schedule; the plan and the diff before y writes") \
    X(UNDO, "undo", "u", "undo", "Undo the last edit")                                    \
    X(REDO, "redo", "C-r", "", "Redo the last undone edit")                               \
    X(WRITE, "write", "w", "write", "Show the diff of the file and write it after y")     \
    X(RELOAD, "reload", "R", "", "Read the file again from disk (asks first when there are unsaved edits)") \
    GROUP("Operating")                                                                     \
    X(VIEW_UNITS, "view-units", "U", "", "Units of the selected machine: service, timer, scripts, authorized_keys; diff with the output directory; write after y") \
    X(VIEW_KEYS, "view-keys", "K", "", "Vars of every machine: each generator's files, secrets readable by you, recipients, what is missing; generate after y") \
    X(VIEW_JOURNAL, "view-journal", "J", "", "Live journal of the selected machine's or job's borgbackup-job units (local, over SSH, or --journal-dir/--journal-file)") \
    X(SCHEDULE_MAP, "schedule-map", "S", "", "Fleet schedule map: a week of job starts per backup server, collisions, a staggered proposal to apply") \
    X(VIEW_BACKUPS, "view-backups", "B", "", "Fleet backups: every client job's last result, last success, next run; r asks every machine (over SSH), b/m back up a job/machine now") \
    X(RESTORE, "restore", "X", "", "Restore the selected machine: pick an archive (time, size), the states, see every command and hook and the folders overwritten, y runs it live")

enum action {
    ACT_NONE = 0,
#define ACTION_ENUM(id, name, keys, hint, help) ACT_##id,
#define ACTION_GROUP_NONE(title)
    ACTIONS(ACTION_ENUM, ACTION_GROUP_NONE)
#undef ACTION_ENUM
#undef ACTION_GROUP_NONE
        ACT_COUNT
};

struct action_info {
    const char *name, *keys, *hint, *help;
};

/* The list in order with its group headings (group != NULL: a heading), for help. */
struct action_row {
    const char *group;
    enum action act;
};
extern const struct action_row action_rows[];
extern const size_t action_nrows;

/* Indexed by enum action (ACT_NONE has name NULL). */
extern const struct action_info action_table[ACT_COUNT];
/* The names of ACT_NONE+1 .. ACT_COUNT-1, for keymap files. */
extern const char *const action_names[ACT_COUNT - 1];
/* Action by name, or ACT_NONE. */
enum action action_lookup(const char *name);

#endif
