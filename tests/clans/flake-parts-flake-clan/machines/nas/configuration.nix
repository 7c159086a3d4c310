{ ... }:
{
  clan.core.state.media = {
    folders = [
      "/srv/media"
      "/srv/music"
    ];
  };
}
