// Signed INT8 x INT8 multiply-accumulate shapes for the DSP packing study (README.md).
// Every shape has the same ports and contract: one a*b per input item, acc <= restart ? a*b : acc + a*b
// where restart means "the previous accumulated item carried last"; acc is the output register and
// o__valid says it holds a finished sum; everything stalls while o__valid && !o__ready.
// i__payload = {last, b[7:0], a[7:0]} (Amaranth StructLayout order: first field in the low bits).

// Stream control shared by all shapes: valid / last travel beside the DEPTH data registers in
// front of the accumulator (2: operands and product, 1: operands only).
module mac_control #(parameter DEPTH = 2) (
    input clk, input rst,
    input i_valid, input i_last, input o_ready,
    output advance, output acc_en, output restart, output reg o_valid,
    output reg continuing  // = !restart, in a flip-flop of its own (only mac_mux_keep uses it)
);
    reg [DEPTH-1:0] valid, last;
    reg first;
    // One clock enable for the whole pipeline: a bubble still moves, only a waiting sum stalls.
    assign advance = !o_valid || o_ready;
    assign acc_en = advance && valid[DEPTH-1];
    assign restart = first;
    always @(posedge clk)
        if (advance) last <= {last, i_last};
    always @(posedge clk)
        if (rst) begin
            valid <= 0; first <= 1; o_valid <= 0; continuing <= 0;
        end else begin
            if (o_ready) o_valid <= 0;
            if (advance) begin
                valid <= {valid, i_valid};
                if (valid[DEPTH-1]) begin
                    first <= last[DEPTH-1];
                    continuing <= !last[DEPTH-1];
                    if (last[DEPTH-1]) o_valid <= 1;
                end
            end
        end
endmodule

// mux_zero: restart zeroes the accumulator feedback, acc <= (restart ? 0 : acc) + m.
module mac_mux_zero #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart;
    mac_control control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        );
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [15:0] m2;
    reg signed [W-1:0] acc;
    wire signed [W-1:0] feedback = restart ? {W{1'b0}} : acc;
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
        m2 <= a1 * b1;
    end
    always @(posedge clk) if (acc_en) acc <= feedback + m2;
    assign o__payload = acc;
endmodule

// mux_keep: mux_zero with the select in the other polarity, acc <= (continuing ? acc : 0) + m.
// Yosys 0.70 miscompiles it (README.md): OPMODE[4] gets the select uninverted, so Z = C when it
// should be P. The RTL passes the testbench, the xc7 netlist does not.
module mac_mux_keep #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart, continuing;
    mac_control control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        continuing);
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [15:0] m2;
    reg signed [W-1:0] acc;
    wire signed [W-1:0] feedback = continuing ? acc : {W{1'b0}};
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
        m2 <= a1 * b1;
    end
    always @(posedge clk) if (acc_en) acc <= feedback + m2;
    assign o__payload = acc;
endmodule

// load_product: the contract written literally, acc <= restart ? m : acc + m.
module mac_load_product #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart;
    mac_control control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        );
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [15:0] m2;
    reg signed [W-1:0] acc;
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
        m2 <= a1 * b1;
    end
    always @(posedge clk) if (acc_en) acc <= restart ? m2 : acc + m2;
    assign o__payload = acc;
endmodule

// plain: no restart at all (not the contract; the reference "INT8 MAC" of the brief).
module mac_plain #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart;
    mac_control control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        );
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [15:0] m2;
    reg signed [W-1:0] acc;
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
        m2 <= a1 * b1;
    end
    always @(posedge clk) if (acc_en) acc <= acc + m2;
    assign o__payload = acc;
endmodule

// Two-stage shapes (operands -> accumulator, no product register): what iCE40's SB_MAC16 needs,
// since its product pipeline registers have no hold (clock enable) of their own.
module mac_mux_zero_2 #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart;
    mac_control #(.DEPTH(1)) control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        );
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [W-1:0] acc;
    wire signed [W-1:0] feedback = restart ? {W{1'b0}} : acc;
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
    end
    always @(posedge clk) if (acc_en) acc <= feedback + a1 * b1;
    assign o__payload = acc;
endmodule

module mac_load_product_2 #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart;
    mac_control #(.DEPTH(1)) control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        );
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [W-1:0] acc;
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
    end
    always @(posedge clk) if (acc_en) acc <= restart ? a1 * b1 : acc + a1 * b1;
    assign o__payload = acc;
endmodule

module mac_plain_2 #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart;
    mac_control #(.DEPTH(1)) control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        );
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [W-1:0] acc;
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
    end
    always @(posedge clk) if (acc_en) acc <= acc + a1 * b1;
    assign o__payload = acc;
endmodule

// subtract_old: restart by subtracting the old sum, acc <= acc + m - (restart ? acc : 0).
module mac_subtract_old #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    wire advance, acc_en, restart;
    mac_control control(clk, rst, i__valid, i__payload[16], o__ready, advance, acc_en, restart, o__valid,
                        );
    assign i__ready = advance;
    reg signed [7:0] a1, b1;
    reg signed [15:0] m2;
    reg signed [W-1:0] acc;
    wire signed [W-1:0] old = restart ? acc : {W{1'b0}};
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
        m2 <= a1 * b1;
    end
    always @(posedge clk) if (acc_en) acc <= acc + m2 - old;
    assign o__payload = acc;
endmodule

// zero_bubbles: an empty slot carries a zero product (operand b cleared), so the accumulator runs
// on the stall enable alone and no valid bits travel with the data; only valid && last does.
module mac_zero_bubbles #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    reg last1, last2, first, o_valid;
    wire advance = !o_valid || o__ready;
    assign i__ready = advance;
    assign o__valid = o_valid;
    always @(posedge clk)
        if (rst) begin
            last1 <= 0; last2 <= 0; first <= 1; o_valid <= 0;
        end else begin
            if (o__ready) o_valid <= 0;
            if (advance) begin
                last1 <= i__valid && i__payload[16];
                last2 <= last1;
                first <= last2;
                if (last2) o_valid <= 1;
            end
        end
    reg signed [7:0] a1, b1;
    reg signed [15:0] m2;
    reg signed [W-1:0] acc;
    wire signed [W-1:0] feedback = first ? {W{1'b0}} : acc;
    always @(posedge clk) if (advance) a1 <= i__payload[7:0];
    // A synchronous reset that wins over the clock enable, like the DSP48E1's RSTB / RSTM.
    always @(posedge clk)
        if (rst || (advance && !i__valid)) b1 <= 0;
        else if (advance) b1 <= i__payload[15:8];
    always @(posedge clk)
        if (rst) m2 <= 0;
        else if (advance) m2 <= a1 * b1;
    always @(posedge clk) if (advance) acc <= feedback + m2;
    assign o__payload = acc;
endmodule

// clear_cycle (NOT the contract's timing): the accumulator is loaded with zero in a cycle of its
// own after each sum, so it never needs a zeroed feedback (iCE40 OLOAD); one bubble per dot product.
module mac_clear_cycle_2 #(parameter W = 24) (
    input clk, input rst,
    input [16:0] i__payload, input i__valid, output i__ready,
    output signed [W-1:0] o__payload, output o__valid, input o__ready
);
    reg v1, last1, clean, o_valid;
    wire move = !o_valid || o__ready;
    wire advance = move && clean;  // the item in the operand registers waits while acc is cleared
    assign i__ready = advance;
    assign o__valid = o_valid;
    always @(posedge clk) if (advance) last1 <= i__payload[16];
    always @(posedge clk)
        if (rst) begin
            v1 <= 0; clean <= 0; o_valid <= 0;
        end else begin
            if (o__ready) o_valid <= 0;
            if (move && !clean) clean <= 1;
            if (advance) begin
                v1 <= i__valid;
                if (v1 && last1) begin
                    o_valid <= 1;
                    clean <= 0;
                end
            end
        end
    reg signed [7:0] a1, b1;
    reg signed [W-1:0] acc;
    always @(posedge clk) if (advance) begin
        a1 <= i__payload[7:0];
        b1 <= i__payload[15:8];
    end
    always @(posedge clk)
        if (move && !clean) acc <= {W{1'b0}};
        else if (advance && v1) acc <= acc + a1 * b1;
    assign o__payload = acc;
endmodule
