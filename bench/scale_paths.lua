-- wrk -s bench/scale_paths.lua <url> -- <file>: every request asks for a path picked at random
-- from the file (one per line), so that many different pages are read, not one from a cache.
local paths = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads * 7919)
end

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  math.randomseed(seed)
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
