// Random dot products against any mac_* shape (or its synthesized netlist), with idle input
// cycles and output backpressure. Prints "PASS <sums>" or "FAIL ..." and finishes.
// iverilog -g2012 -DDUT=mac_mux_zero -o tb mac_tb.v mac_shapes.v && vvp tb
`ifndef DUT
`define DUT mac_mux_zero
`endif
`ifndef W
`define W 24
`endif
module mac_tb;
    localparam W = `W;
    reg clk = 0, rst = 1;
    reg [16:0] i_payload = 0;
    reg i_valid = 0, o_ready = 0;
    wire i_ready, o_valid;
    wire [W-1:0] o_payload;
    `DUT dut(.clk(clk), .rst(rst), .i__payload(i_payload), .i__valid(i_valid), .i__ready(i_ready),
             .o__payload(o_payload), .o__valid(o_valid), .o__ready(o_ready));
    always #5 clk = !clk;

    reg signed [W-1:0] expected [0:4095];
    integer pushed = 0, popped = 0, errors = 0, sent = 0, cycle = 0;
    reg signed [W-1:0] running = 0;
    reg [W-1:0] held;
    reg held_valid = 0;
    integer seed = 1, phase;

    // Scoreboard, sampled just before each rising edge.
    always @(posedge clk) if (!rst) begin
        cycle = cycle + 1;
        if (i_valid && i_ready) begin
            running = running + $signed(i_payload[7:0]) * $signed(i_payload[15:8]);
            if (i_payload[16]) begin
                expected[pushed] = running;
                pushed = pushed + 1;
                running = 0;
            end
        end
        if (held_valid && (!o_valid || o_payload !== held)) begin
            $display("FAIL cycle %0d: output changed while stalled", cycle);
            errors = errors + 1;
        end
        held_valid = o_valid && !o_ready;
        held = o_payload;
        if (o_valid && o_ready) begin
            if (popped >= pushed || o_payload !== expected[popped]) begin
                $display("FAIL cycle %0d: sum %0d is %0d, expected %0d", cycle, popped,
                         $signed(o_payload), $signed(expected[popped]));
                errors = errors + 1;
            end
            popped = popped + 1;
        end
    end

    // Stimulus: three phases (always ready + back-to-back input, random, mostly stalled).
    task drive(input integer valid_percent, input integer ready_percent, input integer items);
        integer n;
        begin
            n = 0;
            while (n < items) begin
                @(negedge clk);
                if (!i_valid || i_ready) begin  // previous item taken (or none): pick the next
                    if (i_valid) n = n + 1;
                    i_valid = ($urandom(seed) % 100) < valid_percent;
                    i_payload = {($urandom % 4) == 0, 8'($urandom), 8'($urandom)};
                    if (($urandom % 8) == 0) i_payload[15:0] = {8'h80, 8'h80};  // -128 * -128
                end
                o_ready = ($urandom % 100) < ready_percent;
            end
        end
    endtask

    initial begin
        repeat (3) @(negedge clk);
        rst = 0;
        drive(100, 100, 400);
        drive(60, 50, 400);
        drive(90, 10, 200);
        drive(100, 100, 200);
        // Close the last dot product and drain.
        @(negedge clk);
        while (i_valid && !i_ready) @(negedge clk);
        i_valid = 1; i_payload = {1'b1, 16'h0101};
        @(negedge clk);
        while (!i_ready) @(negedge clk);
        i_valid = 0; o_ready = 1;
        repeat (20) @(negedge clk);
        if (errors == 0 && popped == pushed && pushed > 100)
            $display("PASS %0d sums", popped);
        else
            $display("FAIL %0d errors, %0d of %0d sums", errors, popped, pushed);
        $finish;
    end
endmodule
