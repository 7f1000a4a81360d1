# The seed's app for Rack servers (puma).
#
# GET /         sleeps ?ms= milliseconds (default 2000): a handler that waits,
#               holding its thread (sleep releases the GVL).
# GET /cpu      computes a Ruby loop of ?n= iterations (default 300000, about
#               15 ms on a 2-vCPU runner): threads cannot run it in parallel
#               (the GVL), worker processes can.
# GET /health   answers at once.
TEXT = {"content-type" => "text/plain"}.freeze

run lambda { |env|
  req = Rack::Request.new(env)
  case req.path_info
  when "/health"
    [200, TEXT, ["ok"]]
  when "/cpu"
    x = 0
    Integer(req.params.fetch("n", "300000")).times { |i| x += i * i }
    [200, TEXT, [(x % 10).to_s]]
  else
    sleep(Float(req.params.fetch("ms", "2000")) / 1000)
    [200, TEXT, ["Finished"]]
  end
}
