{ ... }:
{
  services.postgresql.enable = true;

  clan.core.postgresql.enable = true;
  clan.core.postgresql.users.app = { };
  clan.core.postgresql.databases.app = {
    create.options.OWNER = "app";
    restore.stopOnRestore = [ "app-server" ];
  };
  clan.core.postgresql.databases.analytics.restore.stopOnRestore = [ "metabase" ];
}
